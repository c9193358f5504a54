"""Analytics through the gateway on the running platform: reports submitted and verified by the
real services show up in the API, in CSV, on the public page, and drawn on the dashboard in a
real headless Chromium (Debian's package, installed by scripts/install-chromium.sh).

Then, driven by Playwright on phone widths (390 and 360 px): neither page scrolls sideways,
numbers are written as Indonesian readers write them (0,375 per RT; Rp 72.100.000.000) and as
English ones do after the switch, the fund card shows only for the city that runs a fund
programme, a refused token and a service that is down are said in words (no raw JSON, no
address), the public page's city selector switches the areas, and axe-core finds no serious or
critical violation. Screenshots go to SIPOKAT_SCREENSHOTS (default: the test's temporary folder).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from browsers import ARGS, axe_script, chromium, headless
from harness import Platform, auth, report_body
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

ROOT = Path(__file__).resolve().parents[2]
PEMKOT = auth("pemkot", "16.73")
# Two RTs of Pelita Jaya and one of Air Kuti (another kecamatan), with their lurahs.
REPORTS = [
    ("16.73.02.1019/007", "pemerintahan"),
    ("16.73.02.1019/007", "pemerintahan"),
    ("16.73.02.1019/003", "kesehatan_lingkungan"),
    ("16.73.01.1001/002", "pemerintahan"),
]
KEDIRI = auth("pemkot", "35.71")
PHONES = (390, 360)
LURAH_OF = {"16.73.02.1019": "16.73.02.1019", "16.73.01.1001": "16.73.01.1001"}
CAMAT_OF = {"16.73.02.1019": "16.73.02", "16.73.01.1001": "16.73.01"}


def run_chromium(url: str, *args: str) -> str:
    return headless(url, *args)[0]


class Bars(HTMLParser):
    """The bars drawn in each dashboard panel: {panel id: {label: value}}."""

    def __init__(self) -> None:
        super().__init__()
        self.panel: str | None = None
        self.bars: dict[str, dict[str, float]] = {}
        self.body: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "body":
            self.body = found
        if tag == "article":
            self.panel = found.get("id")
        if tag == "rect" and self.panel and "data-label" in found:
            self.bars.setdefault(self.panel, {})[found["data-label"] or ""] = float(
                found["data-value"] or 0
            )


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


async def test_dashboard_draws_what_the_api_answers(platform: Platform, tmp_path: Path) -> None:
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

    token = PEMKOT["Authorization"].removeprefix("Bearer ")
    url = f"{platform.url()}/dashboard#token={token}"
    dom = run_chromium(url, "--dump-dom")
    bars = Bars()
    bars.feed(dom)
    assert bars.body.get("data-loaded") == "true", dom[-3000:]
    assert bars.bars["bidang"]["Pemerintahan"] == 3
    assert bars.bars["bidang"]["Kesehatan lingkungan"] == 1
    assert bars.bars["jenis"]["Kegiatan"] == 4
    assert bars.bars["rt-aktif"] == {"Melapor": 0.6, "Terverifikasi": 0.4}
    assert bars.bars["verifikasi"] == {
        "Lurah (kelurahan)": 0,
        "Camat (kecamatan)": 0,
        "Pemkot (kota)": 0,
    }
    assert bars.bars["peringkat"]["Pelita Jaya"] == 0.375  # 3 reports over its 8 RTs
    assert re.search(r"4 laporan", dom)

    screenshot = tmp_path / "dashboard.png"
    run_chromium(url, f"--screenshot={screenshot}", "--window-size=1400,1800")
    assert screenshot.stat().st_size > 10_000
    if target := os.environ.get("SIPOKAT_DASHBOARD_SCREENSHOT"):
        shutil.copy(screenshot, target)


def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SIPOKAT_SCREENSHOTS", tmp_path / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def on_phone(browser: Browser, width: int) -> Page:
    context = await browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True, locale="id-ID"
    )
    await context.add_init_script(path=str(axe_script()))
    return await context.new_page()


async def fits_and_passes_axe(page: Page, shots: Path, name: str) -> None:
    """No sideways scrolling, no serious or critical axe-core violation; a screenshot."""
    widths = await page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[1], f"{name}: {widths}"
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: {serious}"
    await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def no_raw_answer(text: str) -> None:
    for raw in ("{", "127.0.0.1", "http://", "detail", "status"):
        assert raw not in text, text


async def dashboard(page: Page, base: str, headers: dict[str, str], loaded: str = "true") -> None:
    token = headers["Authorization"].removeprefix("Bearer ")
    # A new document each time: a change of the fragment alone would not load the page again.
    await page.goto("about:blank")
    await page.goto(f"{base}/dashboard#token={token}")
    await expect(page.locator("body")).to_have_attribute("data-loaded", loaded, timeout=30_000)


async def test_dashboard_and_public_page_on_a_phone(platform: Platform, tmp_path: Path) -> None:
    base = platform.url()
    shots = screenshots(tmp_path)
    async with httpx.AsyncClient(base_url=base, timeout=15) as gateway:
        # Three reports of Pelita Jaya's 8 RTs: 0.375 reports per RT, a ratio with decimals.
        ids = [await submit(gateway, rt, bidang) for rt, bidang in REPORTS[:3]]
        for report_id, (rt, _) in zip(ids, REPORTS[:3], strict=True):
            await decide(gateway, report_id, rt, {"decision": "approve"})

        async def verified() -> bool:
            answer = await gateway.get("/v1/public/activity", params={"kota": "16.73"})
            return answer.json()["verified_total"] == 3

        await eventually(verified, timeout=60, interval=0.3, message="three verified reports")
        kediri_funds = (await gateway.get("/v1/analytics/funds", headers=KEDIRI)).json()
    allocation = f"Rp\u00a0{kediri_funds['allocation_rupiah']:,}".replace(",", ".")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=ARGS
        )
        try:
            for width in PHONES:
                page = await on_phone(browser, width)
                await dashboard(page, base, PEMKOT)
                peringkat = page.locator("#peringkat")
                await expect(peringkat).to_contain_text("0,375 per RT (3 laporan)")
                await expect(page.locator("#status")).to_contain_text("Kota Lubuk Linggau")
                await expect(page.locator("#rt-aktif")).to_contain_text("2 dari 528 RT (0,4%)")
                # Lubuk Linggau runs no fund programme: no fund card.
                await expect(page.locator("#dana")).to_be_hidden()
                await fits_and_passes_axe(page, shots, f"dashboard-{width}")

                await dashboard(page, base, KEDIRI)
                await expect(page.locator("#dana")).to_be_visible()
                await expect(page.locator("#dana h2")).to_contain_text("Prodamas")
                await expect(page.locator("#dana .ringkas")).to_contain_text(allocation)
                await fits_and_passes_axe(page, shots, f"dashboard-kediri-{width}")

                await page.goto(f"{base}/public")
                await fits_and_passes_axe(page, shots, f"public-{width}")
                await page.context.close()

            page = await on_phone(browser, 390)
            await dashboard(page, base, PEMKOT)
            await page.get_by_role("button", name="English").click()
            await expect(page.locator("#peringkat")).to_contain_text("0.375 per RT (3 reports)")
            await expect(page.get_by_role("heading", level=1)).to_have_text("Sipokat dashboard")
            assert await page.evaluate("document.documentElement.lang") == "en"
            await fits_and_passes_axe(page, shots, "dashboard-en-390")
            await page.get_by_role("button", name="Bahasa Indonesia").click()
            await expect(page.locator("#peringkat")).to_contain_text("0,375 per RT")

            # Tokens the API refuses: said in words, with what to do.
            await dashboard(page, base, auth("ketua_rt", "16.73.02.1019/007"), "refused")
            refused = page.get_by_role("alert").filter(has_text="tidak berhak")
            await expect(refused).to_be_visible()
            no_raw_answer(await refused.inner_text())
            await fits_and_passes_axe(page, shots, "dashboard-refused-390")
            await page.get_by_role("button", name="English").click()
            await expect(page.get_by_role("alert").filter(has_text="may not open")).to_be_visible()
            await page.get_by_role("button", name="Bahasa Indonesia").click()
            await dashboard(page, base, {"Authorization": "Bearer bukan-token"}, "refused")
            await expect(page.get_by_role("alert").filter(has_text="tidak berlaku")).to_be_visible()

            # The public page: one city at a time, its areas only; the other city by the selector.
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
            await fits_and_passes_axe(page, shots, "public-en-390")

            # Analytics goes down under an open dashboard: the gateway's 502 problem (which names
            # the service's address) becomes words. (The page itself then comes from analytics
            # too, so a fresh load is the gateway's own answer.)
            await dashboard(page, base, PEMKOT)
            platform.kill("analytics")
            await page.get_by_role("button", name="Terapkan").click()
            await expect(page.locator("body")).to_have_attribute("data-loaded", "error")
            down = page.locator("#gagal")
            await expect(down).to_contain_text("tidak dapat dihubungi")
            no_raw_answer(await down.inner_text())
            await fits_and_passes_axe(page, shots, "dashboard-down-390")
        finally:
            await browser.close()
