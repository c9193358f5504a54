"""The RT head's app (apps/rt) in a real browser: Debian's headless Chromium driven by Playwright
on a 360x640 phone viewport, against the services and RabbitMQ as `make run` starts them.

An RT head activates and signs in, writes a report with a large photo (shrunk on the phone
before upload), sends it offline, closes the app and opens it again, comes back online: the
report reaches the lurah's worklist once, even though the first answer was lost on the way.
The lurah rejects it; the RT head reads why, fixes it, and the revision reaches the lurah.
Every screen passes axe-core with no serious or critical violation.

Screenshots of each screen go to SIPOKAT_SCREENSHOTS (default: the test's temporary folder;
`SIPOKAT_SCREENSHOTS=docs/screenshots/rt-app` refreshes the committed ones).
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, Request, expect

from browsers import AXE, ROOT
from harness import KELURAHAN, RT, Platform, auth
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

APP = ROOT / "apps/rt"
PIN = "482913"
LURAH = auth("lurah", KELURAHAN)
# The page's fetch, as a flaky mobile link treats it: the request arrives, the answer does not.
LOSE_TWO_ANSWERS = """
(() => {
  const real = window.fetch.bind(window);
  window.reportPosts = [];
  window.fetch = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input.url;
    if (init.method === 'POST' && /\\/v1\\/reports$/.test(url)) {
      window.reportPosts.push(new Headers(init.headers).get('Idempotency-Key'));
      if (window.reportPosts.length <= 2) {
        await real(input, init);
        throw new TypeError('Failed to fetch');
      }
    }
    return real(input, init);
  };
})();
"""
TIMEOUT = 30_000  # ms, for what waits on the platform (the outbox's retry, the queue)


@pytest.fixture(scope="module")
def built_app() -> Path:
    """apps/rt/dist as `make app` builds it (here too, for a run of this file alone)."""
    if not (APP / "dist/index.html").exists() or not AXE.exists():
        subprocess.run(["bash", str(ROOT / "scripts/build-app.sh")], check=True, timeout=900)
    return APP / "dist"


async def phone(browser: Browser) -> BrowserContext:
    context = await browser.new_context(
        viewport={"width": 360, "height": 640},
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        service_workers="allow",
    )
    # axe-core rides along as an init script: the app's Content-Security-Policy (its own
    # scripts only) stays in force and would refuse a script tag added to the page.
    await context.add_init_script(path=str(AXE))
    return context


async def check_screen(page: Page, shots: Path, name: str) -> None:
    """axe-core on the screen as it is (no serious or critical violation), and a screenshot."""
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: {serious}"
    await page.screenshot(path=str(shots / f"{name}.png"))


def large_photo() -> bytes:
    """A 12-megapixel JPEG of several MB, as a phone camera writes one (noise compresses badly)."""
    rng = random.Random(23)
    small = Image.frombytes("RGB", (400, 300), bytes(rng.getrandbits(8) for _ in range(360_000)))
    photo = small.resize((4000, 3000), Image.Resampling.NEAREST)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=95)
    return out.getvalue()


async def new_rt_head(gateway: httpx.AsyncClient) -> tuple[str, str]:
    phone_number = f"0813{uuid.uuid4().int % 10**8:08d}"
    created = await gateway.post(
        "/v1/accounts",
        json={"name": "Pak RT Tujuh", "phone": phone_number, "role": "ketua_rt", "wilayah": RT},
        headers=auth("admin", None),
    )
    assert created.status_code == 201, created.text
    return phone_number, created.json()["activation_code"]


async def queue_entries(gateway: httpx.AsyncClient, title: str) -> list[dict[str, Any]]:
    answer = await gateway.get("/v1/verification/queue?limit=100", headers=LURAH)
    assert answer.status_code == 200, answer.text
    return [item for item in answer.json()["items"] if item["title"] == title]


@pytest.mark.timeout(300)
async def test_an_rt_head_reports_offline_and_fixes_a_rejection_in_the_app(
    platform: Platform, browser: Browser, built_app: Path, shots: Path
) -> None:
    base = platform.url()
    title = f"Kerja bakti saluran air {uuid.uuid4().hex[:6]}"
    photo = large_photo()
    assert len(photo) > 2_000_000

    async with httpx.AsyncClient(base_url=base, timeout=15) as gateway:
        phone_number, code = await new_rt_head(gateway)
        context = await phone(browser)
        # The app lives within its Content-Security-Policy (its own scripts and workers only).
        refused: list[str] = []
        context.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page = await context.new_page()

        # Sign-in, then activation with the admin's one-time code.
        await page.goto(f"{base}/app/")
        await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
        assert await page.get_attribute("html", "lang") == "id"
        await check_screen(page, shots, "1-sign-in")
        await page.get_by_role("link", name="Punya kode aktivasi atau reset?").click()
        await expect(page.get_by_role("heading", name="Aktifkan akun")).to_be_visible()
        await page.get_by_label("Nomor HP").fill(phone_number)
        await page.get_by_label("Kode aktivasi atau reset").fill(code)
        await page.get_by_label(re.compile(r"^PIN baru")).fill(PIN)
        await page.get_by_label("Ulangi PIN baru").fill("111111")
        await page.get_by_role("button", name="Aktifkan dan masuk").click()
        # Checked on the phone before anything is sent, and tied to its field.
        mismatch = page.get_by_label("Ulangi PIN baru")
        await expect(mismatch).to_have_attribute("aria-invalid", "true")
        await check_screen(page, shots, "2-activate")
        await mismatch.fill(PIN)
        await page.get_by_role("button", name="Aktifkan dan masuk").click()
        await expect(page.get_by_role("heading", name="Buat laporan")).to_be_visible()
        # The rule for the date is shown before the RT head gets it wrong (from /v1/config).
        await expect(page.get_by_text("tidak boleh", exact=False).first).to_be_visible()
        await check_screen(page, shots, "3-compose")

        # Compose with a 12-megapixel photo; the upload must be the shrunk one.
        await page.get_by_label("Kegiatan", exact=True).check()
        await page.get_by_label("Bidang").select_option("kesehatan_lingkungan")
        await page.get_by_label("Judul").fill(title)
        await page.get_by_label("Uraian").fill("Warga RT 007 membersihkan saluran air.")
        await page.locator("#gallery").set_input_files(
            files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}]
        )
        await expect(page.get_by_role("img", name="Foto 1")).to_be_visible(timeout=TIMEOUT)

        # The draft survives closing the tab.
        await page.close()
        page = await context.new_page()
        await page.goto(f"{base}/app/#/compose")
        await expect(page.get_by_label("Judul")).to_have_value(title)
        await expect(page.get_by_role("img", name="Foto 1")).to_be_visible()
        await check_screen(page, shots, "4-compose-filled")
        # The app must work offline from here: its worker has the whole app cached.
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")

        # Offline: send puts it in the outbox, plainly "menunggu dikirim".
        await context.set_offline(True)
        await page.get_by_role("button", name="Kirim laporan").click()
        await expect(page.get_by_role("heading", name="Laporan saya")).to_be_visible()
        await expect(page.get_by_test_id("outbox").get_by_text("Menunggu dikirim")).to_be_visible()
        await expect(page.get_by_role("status").first).to_contain_text("1 laporan menunggu dikirim")
        await check_screen(page, shots, "5-outbox-offline")

        # Closed and opened again, still offline: the app and its outbox are there.
        await page.close()
        page = await context.new_page()
        uploads: list[int] = []

        def watch(request: Request) -> None:
            if request.method == "POST" and request.url.endswith("/v1/attachments"):
                uploads.append(len(request.post_data_buffer or b""))

        page.on("request", watch)
        # A flaky link: the first two answers to the report are lost on the way back, after
        # the gateway took it. The outbox tries again with the same Idempotency-Key.
        await page.add_init_script(LOSE_TWO_ANSWERS)
        await page.goto(f"{base}/app/#/reports")
        await expect(page.get_by_test_id("outbox").get_by_text("Menunggu dikirim")).to_be_visible()
        assert await queue_entries(gateway, title) == []

        # Back online: photo first, then the report; once on the lurah's worklist.
        await context.set_offline(False)
        sent = page.get_by_test_id("outbox").get_by_text(re.compile(r"^Terkirim "))
        await expect(sent).to_be_visible(timeout=60_000)  # two retries with backoff
        report_posts = await page.evaluate("window.reportPosts")
        assert len(report_posts) == 3 and len(set(report_posts)) == 1, report_posts
        assert uploads and all(size < 350_000 for size in uploads), uploads
        await eventually(lambda: queue_entries(gateway, title), timeout=30, interval=0.5)
        entries = await queue_entries(gateway, title)
        assert len(entries) == 1, entries
        report_id = entries[0]["report_id"]

        # The lurah rejects, with a reason and a note.
        note = "Foto belum menunjukkan saluran yang dibersihkan"
        rejected = await gateway.post(
            f"/v1/reports/{report_id}/decisions",
            json={"decision": "reject", "reason_code": "no_evidence", "note": note},
            headers=LURAH,
        )
        assert rejected.status_code == 200, rejected.text

        # The RT head sees why, in words, and the photo through its signed link.
        await page.goto(f"{base}/app/#/inbox")
        await page.reload()
        await expect(page.get_by_role("heading", name="Pesan")).to_be_visible()
        unread = page.get_by_test_id("inbox").get_by_role("link").filter(has_text="Belum dibaca")
        await expect(unread.filter(has_text=note)).to_be_visible(timeout=TIMEOUT)
        await check_screen(page, shots, "6-inbox")
        await unread.filter(has_text=note).first.click()
        await expect(page.get_by_role("heading", name=title)).to_be_visible()
        await expect(page.get_by_text("Ditolak, perlu diperbaiki")).to_be_visible()
        await expect(page.get_by_text(note).first).to_be_visible()
        thumb = page.get_by_role("img", name="Foto 1")
        await expect(thumb).to_be_visible()
        assert await thumb.evaluate("img => img.complete && img.naturalWidth > 0")
        await check_screen(page, shots, "7-report-rejected")

        await page.goto(f"{base}/app/#/inbox")
        await expect(page.get_by_test_id("inbox").get_by_role("link").first).to_be_visible()
        assert await unread.filter(has_text=note).count() == 0  # marked read when opened

        await page.goto(f"{base}/app/#/reports")
        card = page.get_by_test_id("reports").get_by_role("listitem").filter(has_text=title)
        await expect(card.get_by_text("Tidak ada bukti")).to_be_visible()
        await check_screen(page, shots, "8-my-reports")

        # "Perbaiki": the report opens filled in; the fix goes through the same outbox.
        await card.get_by_role("link", name="Perbaiki").click()
        await expect(page.get_by_role("heading", name="Perbaiki laporan")).to_be_visible()
        await expect(page.get_by_label("Judul")).to_have_value(title)
        await page.get_by_label("Uraian").fill(
            "Saluran sepanjang 80 m sudah bersih; foto terlampir."
        )
        await check_screen(page, shots, "9-revise")
        await page.get_by_role("button", name="Kirim perbaikan").click()
        await expect(page.get_by_text("Perbaikan terkirim")).to_be_visible(timeout=TIMEOUT)

        async def revised() -> bool:
            found = await queue_entries(gateway, title)
            return len(found) == 1 and found[0]["round"] == 2

        await eventually(revised, timeout=30, interval=0.5)

        # English: the app's words, <html lang>, and the API's problems in English too.
        await page.goto(f"{base}/app/#/settings")
        await page.get_by_label("English").check()
        await expect(page.get_by_role("heading", name="Account")).to_be_visible()
        assert await page.get_attribute("html", "lang") == "en"
        await check_screen(page, shots, "10-settings")
        await page.get_by_role("button", name="Sign out of the account").click()
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.get_by_label("Phone number").fill(phone_number)
        await page.get_by_label(re.compile(r"^PIN\b")).fill("000000")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_contain_text(
            "the phone number or the password is wrong"
        )
        assert refused == [], refused
        await context.close()


async def sign_in(page: Page, phone_number: str) -> None:
    await page.get_by_label("Nomor HP").fill(phone_number)
    await page.get_by_label(re.compile(r"^PIN\b")).fill(PIN)
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await expect(page.get_by_role("heading", name="Buat laporan")).to_be_visible()
    # The form, not only its heading: the city's kinds and bidang have come (and are kept on
    # the phone), so the test may go offline now.
    await expect(page.get_by_label("Judul")).to_be_visible()


async def write_report(page: Page, title: str) -> None:
    await page.get_by_label("Usulan", exact=True).check()
    await page.get_by_label("Bidang").select_option("pembangunan")
    await page.get_by_label("Judul").fill(title)
    await page.get_by_label("Uraian").fill("Jalan lingkungan berlubang sepanjang 120 m.")


async def test_an_ended_session_sends_the_rt_head_to_sign_in_and_keeps_drafts_and_outbox(
    platform: Platform, browser: Browser, built_app: Path
) -> None:
    queued = f"Perbaikan jalan lingkungan {uuid.uuid4().hex[:6]}"
    draft = f"Draf posyandu {uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=platform.url(), timeout=15) as gateway:
        phone_number, code = await new_rt_head(gateway)
        activated = await gateway.post(
            "/v1/auth/activate", json={"phone": phone_number, "code": code, "password": PIN}
        )
        assert activated.status_code == 200, activated.text
        context = await phone(browser)
        page = await context.new_page()
        await page.goto(f"{platform.url()}/app/")
        await sign_in(page, phone_number)

        # One report waits in the outbox (offline), another is half written.
        await context.set_offline(True)
        await write_report(page, queued)
        await page.get_by_role("button", name="Kirim laporan").click()
        await expect(page.get_by_test_id("outbox").get_by_text("Menunggu dikirim")).to_be_visible()
        await page.goto(f"{platform.url()}/app/#/compose")
        await page.get_by_label("Judul").fill(draft)

        # Meanwhile every session of the account is ended (a lost phone, say).
        other = await gateway.post("/v1/auth/signin", json={"phone": phone_number, "password": PIN})
        assert other.status_code == 200, other.text
        bearer = {"Authorization": f"Bearer {other.json()['access_token']}"}
        ended = await gateway.post("/v1/auth/signout-all", headers=bearer)
        assert ended.status_code == 200, ended.text

        # The app opened again (its access token, kept only in memory, is gone) and back online:
        # its refresh is refused, so it asks for a sign-in, saying why in the API's words.
        await page.reload()
        await expect(page.get_by_label("Judul")).to_have_value(draft)
        await context.set_offline(False)
        await expect(page.get_by_role("heading", name="Masuk")).to_be_visible(timeout=TIMEOUT)
        await expect(page.get_by_role("alert")).to_contain_text("silakan masuk lagi")
        assert await queue_entries(gateway, queued) == []

        # Nothing was lost: the draft is there, and the outbox goes out after the sign-in.
        await sign_in(page, phone_number)
        await expect(page.get_by_label("Judul")).to_have_value(draft)
        await eventually(lambda: queue_entries(gateway, queued), timeout=30, interval=0.5)
        assert len(await queue_entries(gateway, queued)) == 1
        await context.close()
