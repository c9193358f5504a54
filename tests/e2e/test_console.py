"""The verifiers' console (apps/console) in a real browser: Debian's headless Chromium driven by
Playwright, at 390 px and on a desktop, against the services and RabbitMQ as `make run` starts
them (issue 24).

A lurah made by the admin activates in the console and clears a worklist of three reports from
an RT of the kelurahan: approves one, rejects one with a reason and a note, and for the third a
second lurah decides first (through the API), so the console's approval loses the race: it says
who decided and moves on. The worklist ends empty; "Keputusan saya" lists the two decisions and
finds one by its title. The approved report goes on: a camat and then the city office, each made
by the admin and activated in the console, follow the inbox's notice to it and approve it, and
the API then has it verified. A second lurah at a desk follows the inbox to a report and works
two by keyboard alone. axe-core finds no serious or critical violation on any screen, and no
screen scrolls sideways at 390 px.

Screenshots go to SIPOKAT_SCREENSHOTS (default: the test's temporary folder;
`SIPOKAT_SCREENSHOTS=docs/screenshots/console` refreshes the committed ones).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e.console_support import (
    LURAH,
    PASSWORD,
    TIMEOUT,
    activate,
    check_screen,
    context_for,
    new_lurah,
    sign_in,
    submit,
)
from playwright.async_api import Browser, Page, expect

from harness import KELURAHAN, RT, Platform, auth, new_account
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

KECAMATAN, KOTA = KELURAHAN[:8], KELURAHAN[:5]


async def approve_from_the_inbox(page: Page, shots: Path, title: str, name: str) -> None:
    """A higher tier's verifier: the nav's badge counts the notice that the report awaits them;
    the inbox lists it unread; opening it marks it read and opens the report, approved there."""
    inbox_link = page.get_by_role("navigation").get_by_role("link", name=re.compile("^Kotak masuk"))
    await expect(inbox_link.get_by_test_id("unread-badge")).to_be_visible(timeout=TIMEOUT)
    await inbox_link.click()
    await expect(page.get_by_role("heading", name="Kotak masuk")).to_be_visible()
    notice = page.get_by_test_id("inbox").get_by_role("link").filter(has_text=title)
    await expect(notice).to_contain_text("Belum dibaca", timeout=TIMEOUT)
    await expect(notice).to_contain_text("Menunggu keputusan Anda")
    await check_screen(page, shots, f"{name}-inbox", screenshot=True)
    await notice.click()
    await expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    await check_screen(page, shots, f"{name}-report")
    await page.get_by_role("button", name="Setujui").click()
    await expect(page.get_by_role("status")).to_contain_text(f"“{title}” disetujui")
    await page.get_by_role("link", name=re.compile("^Kotak masuk")).click()
    await expect(notice).to_be_visible()
    await expect(notice).not_to_contain_text("Belum dibaca")  # marked read when opened


async def worklist(gateway: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await gateway.get("/v1/verification/queue?limit=100", headers=LURAH)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


@pytest.mark.timeout(300)
async def test_a_lurah_clears_the_worklist_in_the_console(
    platform: Platform, browser: Browser, built_console: Path, shots: Path
) -> None:
    base = platform.url()
    tag = uuid.uuid4().hex[:4]
    titles = [f"Kerja bakti parit {tag}", f"Posyandu balita {tag}", f"Ronda malam {tag}"]
    async with httpx.AsyncClient(base_url=base, timeout=15) as gateway:
        phone_number, code = await new_lurah(gateway, "Pak Lurah Pelita")
        # The second lurah of the kelurahan, signed in through the API.
        other_phone, other_code = await new_lurah(gateway, "Bu Lurah Kedua")
        activated = await gateway.post(
            "/v1/auth/activate",
            json={"phone": other_phone, "code": other_code, "password": PASSWORD},
        )
        assert activated.status_code == 200, activated.text
        other = {"Authorization": f"Bearer {activated.json()['access_token']}"}
        ids = [await submit(gateway, title) for title in titles]
        await eventually(lambda: _all_waiting(gateway, ids), timeout=30, interval=0.5)

        context = await context_for(browser, 390, 844)
        refused: list[str] = []
        context.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page = await context.new_page()

        # Activation with the admin's code, checked on the page first.
        await page.goto(f"{base}/console/")
        await expect(page.get_by_role("heading", name="Masuk ke konsol")).to_be_visible()
        assert await page.get_attribute("html", "lang") == "id"
        await check_screen(page, shots, "1-sign-in", screenshot=True)
        await page.get_by_role("link", name="Punya kode aktivasi atau reset?").click()
        await expect(page.get_by_role("heading", name="Aktifkan akun")).to_be_visible()
        await page.get_by_label("Nomor HP").fill(phone_number)
        await page.get_by_label("Kode aktivasi atau reset").fill(code)
        await page.get_by_label(re.compile(r"^Kata sandi baru")).fill(PASSWORD)
        await page.get_by_label(re.compile(r"^Ulangi kata sandi baru")).fill("something else")
        await page.get_by_role("button", name="Aktifkan dan masuk").click()
        repeat = page.get_by_label(re.compile(r"^Ulangi kata sandi baru"))
        await expect(repeat).to_have_attribute("aria-invalid", "true")
        await check_screen(page, shots, "activate")
        await repeat.fill(PASSWORD)
        await page.get_by_role("button", name="Aktifkan dan masuk").click()

        # The worklist: three reports, oldest due first, due times in WIB.
        await expect(page.get_by_role("heading", name=re.compile("^Daftar kerja"))).to_be_visible()
        await expect(page.get_by_test_id("counts")).to_contain_text("3 laporan menunggu")
        items = page.get_by_test_id("worklist").get_by_role("listitem")
        await expect(items).to_have_count(3)
        for index, title in enumerate(titles):
            await expect(items.nth(index)).to_contain_text(title)
        await expect(items.first).to_contain_text("WIB")
        await expect(items.first).to_contain_text("RT 007")
        await check_screen(page, shots, "2-worklist", screenshot=True)
        # A filter narrows the list (and says so); another bidang has none of the three.
        await page.get_by_label("Bidang").select_option("keagamaan")
        await expect(page.get_by_test_id("worklist-empty")).to_be_visible()
        await expect(page.get_by_test_id("counts")).to_contain_text("Sesuai saringan: 0")
        await page.get_by_label("Bidang").select_option("")
        await expect(items).to_have_count(3)

        # The first report: content and the RT's other reports; approve, counting.
        await page.get_by_role("link", name=titles[0]).click()
        await expect(page.get_by_role("heading", name=titles[0], level=1)).to_be_visible()
        await expect(page.get_by_text("Warga RT 007 bergotong royong")).to_be_visible()
        recent = page.locator(".recent")
        await expect(recent).to_contain_text(titles[1])
        await expect(page.get_by_label("Dihitung untuk kinerja")).to_be_checked()
        await check_screen(page, shots, "3-report", screenshot=True)
        await page.get_by_role("button", name="Setujui").click()

        # The next report opens; a rejection needs a reason and a note.
        await expect(page.get_by_role("heading", name=titles[1], level=1)).to_be_visible()
        await expect(page.get_by_role("status")).to_contain_text(f"“{titles[0]}” disetujui")
        await page.get_by_role("button", name="Tolak").click()
        await expect(page.get_by_label(re.compile("^Alasan penolakan"))).to_have_attribute(
            "aria-invalid", "true"
        )
        await check_screen(page, shots, "reject-incomplete")
        note = "Foto posyandu belum dilampirkan"
        await page.get_by_label(re.compile("^Alasan penolakan")).select_option("no_evidence")
        await page.get_by_label(re.compile("^Catatan untuk ketua RT")).fill(note)
        await page.get_by_role("button", name="Tolak").click()

        # The third: the second lurah decides first; the console's approval lost the race.
        await expect(page.get_by_role("heading", name=titles[2], level=1)).to_be_visible()
        won = await gateway.post(
            f"/v1/reports/{ids[2]}/decisions",
            json={"decision": "approve", "counts_for_performance": False},
            headers=other,
        )
        assert won.status_code == 200, won.text
        await page.get_by_role("button", name="Setujui").click()
        await expect(page.get_by_test_id("worklist-empty")).to_be_visible(timeout=TIMEOUT)
        status = page.get_by_role("status")
        await expect(status).to_contain_text(f"“{titles[2]}” sudah diputuskan oleh Bu Lurah Kedua")
        await expect(status).to_contain_text("Daftar kerja sudah kosong")
        await expect(page.get_by_test_id("counts")).to_contain_text("0 laporan menunggu")
        await check_screen(page, shots, "worklist-empty")
        assert await worklist(gateway) == []

        # My decisions: the two of this lurah (not the other's), found by their title too.
        await page.get_by_role("link", name="Keputusan saya").click()
        await expect(page.get_by_role("heading", name="Keputusan saya")).to_be_visible()
        decisions = page.get_by_test_id("decisions").get_by_role("listitem")
        await expect(decisions).to_have_count(2, timeout=TIMEOUT)
        await expect(decisions.filter(has_text=titles[1])).to_contain_text("Tidak ada bukti")
        await expect(decisions.filter(has_text=titles[1])).to_contain_text(note)
        await expect(decisions.filter(has_text=titles[0])).to_contain_text("Disetujui")
        await page.get_by_label("Cari judul atau RT").fill("Posyandu")
        await page.get_by_role("button", name="Cari").click()
        await expect(decisions).to_have_count(1)
        await expect(decisions.first).to_contain_text(titles[1])
        await check_screen(page, shots, "decisions")

        # English, on a desktop: the words and <html lang> follow.
        desktop = await context_for(browser, 1280, 800)
        wide = await desktop.new_page()
        await sign_in(wide, base, phone_number)
        await wide.get_by_role("link", name="Keputusan saya").click()
        await expect(wide.get_by_test_id("decisions").get_by_role("listitem")).to_have_count(2)
        await wide.get_by_role("button", name="Ganti bahasa ke English").click()
        await expect(wide.get_by_role("heading", name="My decisions")).to_be_visible()
        assert await wide.get_attribute("html", "lang") == "en"
        await expect(wide.get_by_text("No evidence")).to_be_visible()
        await check_screen(wide, shots, "4-decisions-desktop-en", screenshot=True)
        await desktop.close()

        # The approved report goes up: the camat, then the city office, each in the console.
        for role, area, name in (("camat", KECAMATAN, "Pak Camat"), ("pemkot", KOTA, "Bu Kota")):
            # The badge is read when the console opens: the notice is there first.
            office = auth(role, area)
            await eventually(lambda: _notices(gateway, office, 1), timeout=30, interval=0.5)  # noqa: B023
            phone_number, code = await new_account(gateway, name, role, area)
            tier_context = await context_for(browser, 390, 844)
            tier_page = await tier_context.new_page()
            await activate(tier_page, base, phone_number, code)
            await approve_from_the_inbox(tier_page, shots, titles[0], role)
            await tier_context.close()
        verified = await gateway.get(f"/v1/reports/{ids[0]}", headers=auth("ketua_rt", RT))
        assert verified.status_code == 200, verified.text
        assert verified.json()["status"] == "verified"
        assert refused == [], refused


@pytest.mark.timeout(240)
async def test_a_lurah_at_a_desk_follows_the_inbox_and_decides_by_keyboard(
    platform: Platform, browser: Browser, built_console: Path, shots: Path
) -> None:
    base = platform.url()
    tag = uuid.uuid4().hex[:4]
    titles = [f"Gotong royong masjid {tag}", f"Senam lansia {tag}"]
    async with httpx.AsyncClient(base_url=base, timeout=15) as gateway:
        phone_number, code = await new_lurah(gateway, "Bu Lurah Meja")
        ids = [await submit(gateway, title) for title in titles]
        await eventually(lambda: _all_waiting(gateway, ids), timeout=30, interval=0.5)
        await eventually(lambda: _notices(gateway, LURAH, 2), timeout=30, interval=0.5)
        context = await context_for(browser, 1280, 800)
        page = await context.new_page()
        await activate(page, base, phone_number, code)

        # The inbox: a notice per report that awaits the lurah; one opens its report.
        inbox_link = page.get_by_role("link", name=re.compile("^Kotak masuk"))
        await expect(inbox_link.get_by_test_id("unread-badge")).to_contain_text(
            "2", timeout=TIMEOUT
        )
        await inbox_link.click()
        notices = page.get_by_test_id("inbox").get_by_role("listitem")
        await expect(notices).to_have_count(2, timeout=TIMEOUT)
        await expect(page.get_by_test_id("inbox-unread")).to_contain_text("2 belum dibaca")
        await expect(notices.filter(has_text=titles[1])).to_contain_text("menunggu verifikasi")
        await check_screen(page, shots, "5-inbox-desktop", screenshot=True)
        await notices.filter(has_text=titles[1]).get_by_role("link").click()
        await expect(page.get_by_role("heading", name=titles[1], level=1)).to_be_visible()
        await expect(inbox_link.get_by_test_id("unread-badge")).to_contain_text("1")

        # The keys: the hint shows on a desk; ? lists them, Esc closes.
        await expect(page.get_by_test_id("keys-hint")).to_be_visible()
        await page.keyboard.press("?")
        help_dialog = page.get_by_role("dialog", name="Pintasan papan ketik")
        await expect(help_dialog).to_be_visible()
        await check_screen(page, shots, "6-keys-help", screenshot=True)
        await page.keyboard.press("Escape")
        await expect(help_dialog).to_be_hidden()
        # K and J: the previous and next report in the worklist's order.
        await page.keyboard.press("k")
        await expect(page.get_by_role("heading", name=titles[0], level=1)).to_be_visible()
        await page.keyboard.press("j")
        await expect(page.get_by_role("heading", name=titles[1], level=1)).to_be_visible()
        await page.keyboard.press("k")
        await expect(page.get_by_role("heading", name=titles[0], level=1)).to_be_visible()
        # A reaches the approve button, A again approves; the next report opens.
        await page.keyboard.press("a")
        await expect(page.get_by_role("button", name="Setujui")).to_be_focused()
        await page.keyboard.press("a")
        await expect(page.get_by_role("heading", name=titles[1], level=1)).to_be_visible()
        await expect(page.get_by_role("status")).to_contain_text(f"“{titles[0]}” disetujui")
        # R reaches the reason; typing in the note is not taken for shortcuts.
        await page.keyboard.press("r")
        reason = page.get_by_label(re.compile("^Alasan penolakan"))
        await expect(reason).to_be_focused()
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("ArrowDown")
        await expect(reason).to_have_value("not_rt_work")
        await page.keyboard.press("Tab")
        await page.keyboard.type("Ini kegiatan kelurahan, bukan RT")
        await expect(page.get_by_role("heading", name=titles[1], level=1)).to_be_visible()
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name="Tolak")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.get_by_test_id("worklist-empty")).to_be_visible(timeout=TIMEOUT)
        assert await worklist(gateway) == []
        decided = await gateway.get(f"/v1/reports/{ids[1]}", headers=LURAH)
        assert decided.json()["status"] == "awaiting_revision"

        # In English the inbox says its notices in English too (the API's words).
        await page.get_by_role("button", name="Ganti bahasa ke English").click()
        await page.get_by_role("link", name=re.compile("^Inbox")).click()
        await expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
        read = page.get_by_test_id("inbox").get_by_role("listitem").filter(has_text=titles[1])
        await expect(read).to_contain_text("New report from RT")
        await expect(read).not_to_contain_text("Unread")
        await check_screen(page, shots, "7-inbox-desktop-en")
        # The other notice is still unread (its report was reached by keys): all read at once.
        await expect(page.get_by_test_id("inbox-unread")).to_contain_text("1 unread")
        await page.get_by_role("button", name="Mark all as read").click()
        await expect(page.get_by_test_id("inbox-unread")).to_contain_text("0 unread")
        await expect(page.get_by_test_id("unread-badge")).to_be_hidden()
        answer = await gateway.get("/v1/notifications/inbox/unread", headers=LURAH)
        assert answer.json()["unread"] == 0


async def _all_waiting(gateway: httpx.AsyncClient, ids: list[str]) -> bool:
    waiting = {item["report_id"] for item in await worklist(gateway)}
    assert set(ids) <= waiting, waiting
    return True


async def _notices(gateway: httpx.AsyncClient, headers: dict[str, str], at_least: int) -> bool:
    answer = await gateway.get("/v1/notifications/inbox/unread", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["unread"] >= at_least, answer.json()
    return True
