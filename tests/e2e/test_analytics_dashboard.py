"""Analytics and the leaders' dashboard through the gateway on the running platform (issue 24).

Reports submitted and verified by the real services show up in analytics' API, its CSV and the
public page. Then the dashboard, a screen of the console (apps/console) in Debian's headless
Chromium driven by Playwright: a city office (pemkot) account made by the admin signs in, the
dashboard shows the figures in Indonesian numbers (0,375 per RT), a ranking bar opens the list
of exactly the reports behind it (the ids GET /v1/reports gives), whose CSV download holds
exactly those ids with FixMyStreet's columns; an RT's performance bar lists its verified
reports that count. English after the switch; the admin sees Kediri's fund card (a city with a
fund programme) and Lubuklinggau none; analytics down is said in words. At 390 px no screen
scrolls sideways; axe-core finds no serious or critical violation. The public page keeps its
phone checks. Screenshots go to SIPOKAT_SCREENSHOTS (default: the test's temporary folder).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e import console_support
from playwright.async_api import Browser, BrowserContext, Page, expect

from browsers import AXE
from harness import Platform, activated_account, auth, report_body
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

PEMKOT = auth("pemkot", "16.73")
# Two RTs of Pelita Jaya and one of Air Kuti (another kecamatan), with their lurahs.
REPORTS = [
    ("16.73.02.1019/007", "pemerintahan"),
    ("16.73.02.1019/007", "pemerintahan"),
    ("16.73.02.1019/003", "kesehatan_lingkungan"),
    ("16.73.01.1001/002", "pemerintahan"),
]
PELITA_JAYA = "16.73.02.1019"
KEDIRI = auth("pemkot", "35.71")
LURAH_OF = {"16.73.02.1019": "16.73.02.1019", "16.73.01.1001": "16.73.01.1001"}
CAMAT_OF = {"16.73.02.1019": "16.73.02", "16.73.01.1001": "16.73.01"}
PASSWORD = "Pemkot-Lubuklinggau-2026"
RT_PIN = "482913"
TIMEOUT = 30_000  # ms, for what waits on the platform
# The CSV export's columns (FixMyStreet's export, per tier of Sipokat), in Indonesian.
CSV_COLUMNS = [
    "ID laporan",
    "Judul",
    "Uraian",
    "Bidang",
    "Jenis",
    "Kelurahan",
    "RT",
    "Dikirim",
    "Diputuskan lurah",
    "Diputuskan camat",
    "Diputuskan pemkot",
    "Status",
    "URL",
    "Kecamatan",
    "Tanggal kegiatan",
    "Lintang",
    "Bujur",
]


async def submit(gateway: httpx.AsyncClient, rt: str, bidang: str) -> str:
    body = {**report_body(f"Kegiatan {bidang} RT {rt[-3:]}"), "bidang": bidang}
    accepted = await gateway.post("/v1/reports", json=body, headers=auth("ketua_rt", rt))
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["report_id"])


async def decide(
    gateway: httpx.AsyncClient, report_id: str, rt: str, decision: dict[str, Any]
) -> None:
    kelurahan = rt.split("/")[0]
    path = f"/v1/reports/{report_id}/decisions"

    async def lurah_decides() -> bool:
        answer = await gateway.post(path, json=decision, headers=auth("lurah", LURAH_OF[kelurahan]))
        return answer.status_code == 200

    # The report reaches verification through RabbitMQ: retry until it is there.
    await eventually(lurah_decides, timeout=60, interval=0.3, message="the lurah can decide")
    if decision["decision"] == "reject":
        return
    for headers in (auth("camat", CAMAT_OF[kelurahan]), PEMKOT):
        answer = await gateway.post(path, json={"decision": "approve"}, headers=headers)
        assert answer.status_code == 200, answer.text


async def test_analytics_answers_what_the_services_did(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.url(), timeout=15) as gateway:
        ids = [await submit(gateway, rt, bidang) for rt, bidang in REPORTS]
        for report_id, (rt, _) in list(zip(ids, REPORTS, strict=True))[:3]:
            await decide(gateway, report_id, rt, {"decision": "approve"})
        rejection = {"decision": "reject", "reason_code": "no_evidence", "note": "Foto kurang"}
        await decide(gateway, ids[3], REPORTS[3][0], rejection)

        async def settled() -> dict[str, Any] | None:
            answer = await gateway.get("/v1/analytics/verification", headers=PEMKOT)
            tiers = (
                {t["tier"]: t for t in answer.json()["tiers"]} if answer.status_code == 200 else {}
            )
            done = tiers and tiers["kota"]["approved"] == 3 and tiers["kelurahan"]["rejected"] == 1
            return answer.json() if done else None

        verification = await eventually(settled, timeout=60, interval=0.3)
        kelurahan = {t["tier"]: t for t in verification["tiers"]}["kelurahan"]
        assert kelurahan["approved"] == 3 and kelurahan["approval_rate_percent"] == 75.0
        assert kelurahan["median_hours"] == 1  # decided within the hour

        summary = (await gateway.get("/v1/analytics/summary", headers=PEMKOT)).json()
        assert summary["total_reports"] == 4
        shares = {r["bidang"]: r["share_percent"] for r in summary["by_bidang"]}
        assert shares["pemerintahan"] == 75.0 and shares["kesehatan_lingkungan"] == 25.0

        active = (await gateway.get("/v1/analytics/active-rts", headers=PEMKOT)).json()
        assert (active["rts_reporting"], active["rts_with_verified"], active["rt_total"]) == (
            3,
            2,
            528,
        )

        exported = await gateway.get(
            "/v1/analytics/rt-performance", headers={**PEMKOT, "Accept": "text/csv"}
        )
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert {(r["rt_code"], r["verified"], r["counts_for_performance"]) for r in rows} == {
            ("16.73.02.1019/007", "2", "2"),
            ("16.73.02.1019/003", "1", "1"),
        }

        public = await gateway.get("/v1/public/activity")  # no token
        assert public.status_code == 200
        assert public.json()["verified_total"] == 3
        # Counts per area only: nothing about who reported or decided, no notes.
        assert set(public.json()["by_rt"][0]) == {
            "rt_code",
            "rt_name",
            "kelurahan_code",
            "kelurahan_name",
            "verified",
        }
        for private in ("ketua_rt", "subject", "note", "Foto kurang", "verifier", "Kegiatan"):
            assert private not in public.text
        page = await gateway.get("/public", params={"wilayah": "16.73.02"})
        assert page.status_code == 200 and "Pelita Jaya" in page.text


async def seed(gateway: httpx.AsyncClient) -> list[str]:
    """The four reports: three verified (Pelita Jaya), Air Kuti's rejected; → their ids once
    analytics counts them all."""
    ids = [await submit(gateway, rt, bidang) for rt, bidang in REPORTS]
    for report_id, (rt, _) in list(zip(ids, REPORTS, strict=True))[:3]:
        await decide(gateway, report_id, rt, {"decision": "approve"})
    rejection = {"decision": "reject", "reason_code": "no_evidence", "note": "Foto kurang"}
    await decide(gateway, ids[3], REPORTS[3][0], rejection)

    async def settled() -> bool:
        answer = await gateway.get("/v1/analytics/verification", headers=PEMKOT)
        tiers = {t["tier"]: t for t in answer.json()["tiers"]} if answer.status_code == 200 else {}
        return (
            bool(tiers) and tiers["kota"]["approved"] == 3 and tiers["kelurahan"]["rejected"] == 1
        )

    await eventually(settled, timeout=60, interval=0.3, message="analytics counts the four")
    return ids


async def listed(gateway: httpx.AsyncClient, **filters: str) -> set[str]:
    """The ids the report list gives the city office for these filters (every page)."""
    found: set[str] = set()
    cursor = None
    while True:
        params = {**filters, "limit": "100", **({"cursor": cursor} if cursor else {})}
        answer = await gateway.get("/v1/reports", params=params, headers=PEMKOT)
        assert answer.status_code == 200, answer.text
        found |= {item["report_id"] for item in answer.json()["items"]}
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return found


async def new_account(
    gateway: httpx.AsyncClient, role: str, wilayah: str | None, password: str = PASSWORD
) -> str:
    """An account the admin makes, activated with `password`; → its phone number."""
    return await activated_account(gateway, f"Akun {role}", role, wilayah, password)


async def context_for(browser: Browser, width: int, height: int) -> BrowserContext:
    """The city's time zone, and downloads kept (the CSV export)."""
    return await console_support.context_for(
        browser, width, height, timezone_id="Asia/Jakarta", accept_downloads=True
    )


async def check_screen(page: Page, shots: Path, name: str) -> None:
    """The console's checks, the body no wider than the viewport either; a full-page shot."""
    await console_support.check_screen(page, shots, name)
    widths = await page.evaluate("[document.body.scrollWidth, innerWidth]")
    assert widths[0] <= widths[1], f"{name} scrolls sideways: {widths}"
    await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


async def sign_in(page: Page, base: str, phone_number: str, password: str = PASSWORD) -> None:
    await console_support.sign_in(page, base, phone_number, password)


async def dashboard_loaded(page: Page) -> None:
    await expect(page.locator("section.dashboard")).to_have_attribute(
        "data-loaded", "true", timeout=TIMEOUT
    )


async def shown_ids(page: Page) -> set[str]:
    await expect(page.locator("section.report-list")).to_have_attribute(
        "data-loaded", "true", timeout=TIMEOUT
    )
    items = page.get_by_test_id("report-list").locator("li[data-report-id]")
    return {value for value in await items.evaluate_all("els => els.map(e => e.dataset.reportId)")}


def no_raw_answer(text: str) -> None:
    for raw in ("{", "127.0.0.1", "http://", "detail", "status"):
        assert raw not in text, text


@pytest.mark.timeout(300)
async def test_the_leaders_dashboard_in_the_console(
    platform: Platform, browser: Browser, built_console: Path, shots: Path
) -> None:
    base = platform.url()
    async with httpx.AsyncClient(base_url=base, timeout=15) as gateway:
        ids = await seed(gateway)
        pemkot_phone = await new_account(gateway, "pemkot", "16.73")
        admin_phone = await new_account(gateway, "admin", None)
        rt_phone = await new_account(gateway, "ketua_rt", REPORTS[0][0], RT_PIN)
        behind_pelita_jaya = await listed(gateway, kelurahan=PELITA_JAYA)
        assert behind_pelita_jaya == set(ids[:3])
        counted_rt_007 = await listed(
            gateway, rt=REPORTS[0][0], status="verified", counts_for_performance="true"
        )
        assert counted_rt_007 == set(ids[:2])
        rejected_by_lurah = await listed(gateway, event="rejected_kelurahan")
        assert rejected_by_lurah == {ids[3]}
        kediri_funds = (await gateway.get("/v1/analytics/funds", headers=KEDIRI)).json()
    allocation = f"Rp\u00a0{kediri_funds['allocation_rupiah']:,}".replace(",", ".")

    context = await context_for(browser, 390, 844)
    page = await context.new_page()
    await sign_in(page, base, pemkot_phone)
    # The city office lands on its worklist; the dashboard is in the menu.
    await expect(page.get_by_role("heading", name=re.compile("^Daftar kerja"))).to_be_visible()
    await page.get_by_role("link", name="Dasbor").click()
    await expect(page.get_by_role("heading", name=re.compile("^Dasbor"), level=1)).to_be_visible()
    await dashboard_loaded(page)
    ranking = page.get_by_test_id("bars-ranking")
    pelita = ranking.locator(f"li[data-key='{PELITA_JAYA}']")
    await expect(pelita).to_contain_text("Pelita Jaya")
    await expect(pelita).to_contain_text("0,375 per RT (3 laporan)")  # 3 reports, 8 RTs
    await expect(page.get_by_test_id("dash-status")).to_contain_text("Lubuk Linggau: 4 laporan")
    await expect(page.get_by_test_id("bars-active")).to_contain_text("3 dari 528 RT")
    await expect(
        page.get_by_test_id("bars-bidang").locator("li[data-key='pemerintahan']")
    ).to_contain_text("3 (75%)")
    await expect(page.get_by_test_id("bars-kind")).to_contain_text("Kegiatan")
    await expect(page.locator("#verifikasi table")).to_contain_text("Lurah (kelurahan)")
    # Lubuk Linggau runs no fund programme: no fund card.
    await expect(page.locator("#dana")).to_have_count(0)
    await check_screen(page, shots, "dashboard-390")

    # A ranking bar: exactly the reports behind it, as the API lists them.
    await pelita.get_by_role("link").click()
    await expect(page.get_by_role("heading", name=re.compile("^Daftar laporan"))).to_be_visible()
    assert f"kelurahan={PELITA_JAYA}" in page.url
    assert await shown_ids(page) == behind_pelita_jaya
    await expect(page.get_by_test_id("list-said")).to_contain_text("Pelita Jaya")
    await check_screen(page, shots, "reports-390")

    # Its CSV: the same reports, FixMyStreet's columns.
    async with page.expect_download() as downloading:
        await page.get_by_test_id("csv").click()
    download = await downloading.value
    assert download.suggested_filename.startswith(f"laporan-{PELITA_JAYA}")
    saved = await asyncio.to_thread(Path(await download.path()).read_bytes)
    rows = list(csv.reader(io.StringIO(saved.decode("utf-8-sig"), newline="")))
    assert rows[0] == CSV_COLUMNS
    assert {row[0] for row in rows[1:]} == behind_pelita_jaya
    assert all(row[11] == "Terverifikasi" and row[10] for row in rows[1:])
    assert all(row[12].endswith(f"/console/#/report/{row[0]}") for row in rows[1:])

    # A search narrows the list: RT 003 by its number.
    await page.get_by_label("RT", exact=True).fill("3")
    await page.get_by_role("button", name="Cari").click()
    await expect(page.get_by_test_id("report-list").locator("li")).to_have_count(1)
    assert await shown_ids(page) == {ids[2]}
    # A report of the list, and back to the same list (not to a worklist the admin lacks).
    narrowed = page.url
    await page.get_by_test_id("report-list").get_by_role("link").first.click()
    await page.get_by_role("link", name="Kembali ke daftar laporan").click()
    await expect(page.get_by_test_id("report-list").locator("li")).to_have_count(1)
    assert page.url == narrowed

    # An RT's performance bar: its verified reports that count.
    await page.get_by_role("link", name="Kembali ke dasbor").click()
    await dashboard_loaded(page)
    performance = page.get_by_test_id("bars-performance")
    await performance.locator(f"li[data-key='{REPORTS[0][0]}'] a").click()
    assert await shown_ids(page) == counted_rt_007
    await page.go_back()
    await dashboard_loaded(page)
    # A number of the decisions table: the reports the lurah rejected.
    await page.get_by_role("link", name="Lurah (kelurahan), Ditolak: 1").click()
    assert await shown_ids(page) == rejected_by_lurah
    await expect(page.get_by_test_id("list-said")).to_contain_text("ditolak lurah")
    await page.go_back()
    await dashboard_loaded(page)

    # English: the words, the numbers and <html lang> follow.
    await page.get_by_role("button", name="Ganti bahasa ke English").click()
    await expect(pelita).to_contain_text("0.375 per RT (3 reports)")
    await expect(
        page.get_by_role("heading", name=re.compile("^Dashboard"), level=1)
    ).to_be_visible()
    assert await page.get_attribute("html", "lang") == "en"
    await check_screen(page, shots, "dashboard-en-390")
    await page.get_by_role("button", name="Switch the language to Bahasa Indonesia").click()
    await expect(pelita).to_contain_text("0,375 per RT")

    # The admin, on a desktop: the dashboard only; Kediri runs a fund programme, so its card.
    desktop = await context_for(browser, 1280, 900)
    wide = await desktop.new_page()
    # The admin has no inbox: the console opens no notification stream for it.
    streams: list[str] = []
    wide.on(
        "request", lambda r: streams.append(r.url) if "/notifications/stream" in r.url else None
    )
    await sign_in(wide, base, admin_phone)
    await dashboard_loaded(wide)
    await expect(wide.get_by_role("link", name="Daftar kerja")).to_have_count(0)
    await wide.get_by_label("Wilayah", exact=True).select_option(label="Kota Kediri")
    await wide.get_by_role("button", name="Terapkan").click()
    await expect(wide.locator("#dana")).to_contain_text("Prodamas", timeout=TIMEOUT)
    await expect(wide.locator("#dana")).to_contain_text(allocation)
    await dashboard_loaded(wide)
    await check_screen(wide, shots, "dashboard-kediri-admin-desktop")
    await wide.get_by_label("Wilayah", exact=True).select_option(label="Kota Lubuk Linggau")
    await wide.get_by_role("button", name="Terapkan").click()
    await expect(wide.get_by_test_id("dash-status")).to_contain_text("4 laporan")
    await expect(wide.locator("#dana")).to_have_count(0)
    assert streams == [], "a notification stream for the admin"
    await desktop.close()

    # An RT head may not see the dashboard: told so in words on the sign-in screen.
    other = await context_for(browser, 390, 844)
    refused = await other.new_page()
    await sign_in(refused, base, rt_phone, RT_PIN)
    await expect(refused.get_by_role("alert")).to_contain_text("Akun ini tidak dapat memakainya")
    no_raw_answer(await refused.get_by_role("alert").inner_text())
    await check_screen(refused, shots, "signed-out-rt-390")
    await other.close()

    # Analytics goes down under the open dashboard: said in words, with a retry.
    platform.kill("analytics")
    await page.get_by_role("button", name="Terapkan").click()
    problem = page.get_by_test_id("dash-problem")
    await expect(problem).to_contain_text("tidak dapat dihubungi", timeout=TIMEOUT)
    no_raw_answer(await problem.inner_text())
    await check_screen(page, shots, "dashboard-down-390")
    await context.close()


async def on_phone(browser: Browser, width: int) -> Page:
    context = await browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True, locale="id-ID"
    )
    await context.add_init_script(path=str(AXE))
    return await context.new_page()


async def test_the_public_page_on_a_phone(
    platform: Platform, browser: Browser, shots: Path
) -> None:
    base = platform.url()
    async with httpx.AsyncClient(base_url=base, timeout=15) as gateway:
        await seed(gateway)
    for width in (390, 360):
        page = await on_phone(browser, width)
        await page.goto(f"{base}/public")
        await check_screen(page, shots, f"public-{width}")
        await page.context.close()

    # One city at a time, its areas only; the other city by the selector.
    page = await on_phone(browser, 390)
    await page.goto(f"{base}/public")
    areas = page.locator("#wilayah")
    await expect(areas.locator("option", has_text="Kel. Pelita Jaya")).to_have_count(1)
    await expect(page.locator("#total")).to_contain_text("3 laporan terverifikasi")
    await page.locator("#kota").select_option(label="Kota Kediri")
    await expect(areas.locator("option", has_text="Kec. Mojoroto")).to_have_count(1)
    await expect(areas.locator("option", has_text="Kel. Pelita Jaya")).to_have_count(0)
    await expect(page.locator("#total")).to_contain_text("0 laporan terverifikasi")
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("#total")).to_contain_text("0 verified reports")
    await expect(page.locator("#kota")).to_have_value("35.71")
    await check_screen(page, shots, "public-en-390")
    await page.context.close()


async def test_the_old_dashboard_address_sends_to_the_console(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.url(), timeout=15) as gateway:
        moved = await gateway.get("/dashboard", params={"wilayah": "16.73.02"})
        assert moved.status_code == 303
        assert moved.headers["location"] == "/console/#/dashboard?wilayah=16.73.02"
        console = await gateway.get(moved.headers["location"].split("#")[0])
        assert console.status_code == 200 and "Sipokat Konsol" in console.text
