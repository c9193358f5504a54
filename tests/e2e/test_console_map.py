"""The console's maps in a real browser (Debian's headless Chromium, Playwright) against the
services as `make run` starts them (issue 24).

A lurah opens a report with a location and sees its marker; opens #/map and sees one marker for
each verified report with a location in the kelurahan, exactly those GET /v1/reports/map
answers (not a report still waiting, not one without a location, not another kelurahan's), the
same reports listed below the map, and a popup that names the RT and kelurahan and opens the
report. With SIPOKAT_MAP_TILE_URL pointing at a small tile server of the test's own, tiles load
(and the pages' CSP lets them); when they fail, and with no tile server configured, a note says
the base map is unavailable and the markers still show. axe-core finds no serious or critical
violation; at 390 px nothing scrolls sideways.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e import console_support
from e2e.console_support import TIMEOUT, activated_lurah, check_screen, context_for
from PIL import Image
from playwright.async_api import Browser, Page, expect

from harness import KELURAHAN, RT, Platform, auth, report_body, running_platform
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

OTHER_RT = "16.73.02.1001/001"  # another kelurahan of the same kecamatan
HERE = {"latitude": -3.2950, "longitude": 102.8610}


class Tiles(BaseHTTPRequestHandler):
    """Any /tiles/{z}/{x}/{y}.png: one light green 256 px PNG."""

    served: list[str] = []
    png = b""

    def do_GET(self) -> None:
        if not re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", self.path):
            self.send_error(404)
            return
        Tiles.served.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(Tiles.png)))
        self.end_headers()
        self.wfile.write(Tiles.png)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[str]:
    """A tile server on this machine; → its URL template."""
    picture = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 230, 200)).save(picture, "PNG")
    Tiles.png = picture.getvalue()
    Tiles.served = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tiles/{{z}}/{{x}}/{{y}}.png"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
async def mapped(rabbitmq_url: str, tmp_path: Path, tile_server: str) -> AsyncIterator[Platform]:
    """The services, the gateway's base map at the test's tile server."""
    settings = {
        "SIPOKAT_MAP_TILE_URL": tile_server,
        "SIPOKAT_MAP_ATTRIBUTION": "Peta uji Sipokat",
    }
    async with running_platform(rabbitmq_url, tmp_path, settings=settings) as running:
        yield running


async def submit(gateway: httpx.AsyncClient, title: str, rt: str, located: bool) -> str:
    # Each a little further east: markers on one spot would hide one another.
    east = len(title) * 0.0004
    where = {"latitude": HERE["latitude"], "longitude": HERE["longitude"] + east}
    body = {**report_body(title), **({"location": where} if located else {})}
    sent = await gateway.post(
        "/v1/reports",
        json=body,
        headers={**auth("ketua_rt", rt), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert sent.status_code == 202, sent.text
    return str(sent.json()["report_id"])


async def verify(gateway: httpx.AsyncClient, report_id: str, kelurahan: str) -> None:
    """Approved by the lurah, the camat and the city office, through the API."""
    tiers = (auth("lurah", kelurahan), auth("camat", kelurahan[:8]), auth("pemkot", "16.73"))
    for headers in tiers:

        async def decided(headers: dict[str, str] = headers) -> bool:
            answer = await gateway.post(
                f"/v1/reports/{report_id}/decisions",
                json={"decision": "approve", "counts_for_performance": True},
                headers=headers,
            )
            assert answer.status_code == 200, answer.text
            return True

        await eventually(decided, timeout=30, interval=0.5)


async def map_ids(gateway: httpx.AsyncClient) -> set[str]:
    answer = await gateway.get("/v1/reports/map", headers=auth("lurah", KELURAHAN))
    assert answer.status_code == 200, answer.text
    return {feature["id"] for feature in answer.json()["features"]}


async def sign_in(
    browser: Browser, base: str, phone: str, refused: list[str], width: int = 390
) -> Page:
    """A new browser signed in as the lurah; what its CSP refused is added to `refused`."""
    context = await context_for(browser, width, 844 if width < 600 else 800)
    page = await context.new_page()
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    await console_support.sign_in(page, base, phone)
    await expect(page.get_by_role("heading", name=re.compile("^Daftar kerja"))).to_be_visible()
    return page


def marker(page: Page, report_id: str) -> Any:
    return page.locator(f'[data-testid="map"] .leaflet-marker-icon[data-report-id="{report_id}"]')


async def markers(page: Page) -> set[str]:
    found: list[str] = await page.locator('[data-testid="map"] .leaflet-marker-icon').evaluate_all(
        "icons => icons.map(icon => icon.dataset.reportId)"
    )
    return set(found)


@pytest.mark.timeout(300)
async def test_a_lurah_sees_reports_on_the_map_with_and_without_tiles(
    mapped: Platform, browser: Browser, built_console: Path, shots: Path
) -> None:
    base = mapped.url()
    tag = uuid.uuid4().hex[:4]
    async with httpx.AsyncClient(base_url=base, timeout=15) as gateway:
        phone = await activated_lurah(gateway, "Pak Lurah Peta")
        shown = [await submit(gateway, f"Kerja bakti {n} {tag}", RT, True) for n in ("1", "dua")]
        waiting = await submit(gateway, f"Posyandu {tag}", RT, True)
        nowhere = await submit(gateway, f"Rapat warga {tag}", RT, False)
        elsewhere = await submit(gateway, f"Ronda {tag}", OTHER_RT, True)
        for report_id in (*shown, nowhere):
            await verify(gateway, report_id, KELURAHAN)
        await verify(gateway, elsewhere, OTHER_RT[:13])

        async def all_on_the_map() -> bool:
            assert await map_ids(gateway) == set(shown)
            return True

        await eventually(all_on_the_map, timeout=30, interval=0.5)

        # A report waiting for the lurah: its location on a map, tiles from the tile server.
        refused: list[str] = []
        page = await sign_in(browser, base, phone, refused)
        await page.goto(f"{base}/console/#/report/{waiting}")
        await expect(page.get_by_role("heading", name=f"Posyandu {tag}", level=1)).to_be_visible()
        await expect(marker(page, waiting)).to_be_visible(timeout=TIMEOUT)
        await expect(page.locator(".leaflet-tile-loaded").first).to_be_visible(timeout=TIMEOUT)
        await expect(page.get_by_test_id("map-note")).to_have_count(0)
        await expect(page.locator(".leaflet-control-attribution")).to_contain_text("Peta uji")
        await expect(page.locator(".leaflet-control-scale")).to_be_visible()
        assert Tiles.served, "no tile was asked for"
        await check_screen(page, shots, "map-1-report", screenshot=True)

        # #/map from the menu: exactly the verified reports with a location of the kelurahan.
        await page.get_by_role("link", name="Peta").click()
        await expect(page.get_by_role("heading", name="Peta laporan terverifikasi")).to_be_visible()
        await expect(page.get_by_test_id("map-count")).to_contain_text("2 laporan")
        await expect(marker(page, shown[0])).to_be_visible(timeout=TIMEOUT)
        assert await markers(page) == await map_ids(gateway) == set(shown)
        listed = page.get_by_test_id("map-list").get_by_role("listitem")
        await expect(listed).to_have_count(2)
        await expect(listed.first).to_contain_text("RT 007, Pelita Jaya")
        await expect(page.locator(".leaflet-tile-loaded").first).to_be_visible(timeout=TIMEOUT)
        await check_screen(page, shots, "map-2-map")
        # A filter that none of them matches empties it; back to all.
        await page.get_by_label("Bidang").select_option("keagamaan")
        await expect(page.get_by_test_id("map-count")).to_contain_text("0 laporan")
        await page.get_by_label("Bidang").select_option("")
        await expect(marker(page, shown[1])).to_be_visible(timeout=TIMEOUT)
        # A marker's popup: the RT and kelurahan in words, and the way to the report.
        await marker(page, shown[1]).click()
        popup = page.locator(".leaflet-popup")
        await expect(popup).to_contain_text("RT 007, Pelita Jaya")
        await check_screen(page, shots, "map-3-popup", screenshot=True)
        await popup.get_by_role("link", name=f"Kerja bakti dua {tag}").click()
        await expect(
            page.get_by_role("heading", name=f"Kerja bakti dua {tag}", level=1)
        ).to_be_visible()
        assert refused == [], refused

        # Tiles that fail: the note says so, the markers stay.
        await page.route(re.compile(r".*/tiles/.*"), lambda route: route.abort())
        await page.goto(f"{base}/console/#/map")
        await page.reload()
        await expect(page.get_by_test_id("map-note")).to_contain_text(
            "Peta dasar tidak dapat dimuat", timeout=TIMEOUT
        )
        await expect(marker(page, shown[0])).to_be_visible()
        await page.context.close()

        # The gateway again without a tile server: no tile asked for, the note, the markers.
        mapped.kill("intake")
        del mapped.settings["SIPOKAT_MAP_TILE_URL"]
        await asyncio.to_thread(mapped.start, "intake")
        policy = (await gateway.get("/console/")).headers["content-security-policy"]
        assert "img-src 'self' blob: data:;" in policy
        asked = len(Tiles.served)
        page = await sign_in(browser, base, phone, refused)
        await page.get_by_role("link", name="Peta").click()
        await expect(page.get_by_test_id("map-note")).to_contain_text(
            "Peta dasar tidak tersedia", timeout=TIMEOUT
        )
        await expect(marker(page, shown[0])).to_be_visible(timeout=TIMEOUT)
        assert await markers(page) == set(shown)
        await expect(page.locator(".leaflet-control-scale")).to_be_visible()
        await check_screen(page, shots, "map-4-no-tiles", screenshot=True)
        # By keyboard: a marker is a button; Enter opens its popup.
        await marker(page, shown[0]).focus()
        await page.keyboard.press("Enter")
        await expect(page.locator(".leaflet-popup")).to_contain_text(f"Kerja bakti 1 {tag}")
        await expect(page.locator(".leaflet-popup")).to_contain_text("Pelita Jaya")
        await page.goto(f"{base}/console/#/report/{waiting}")
        await expect(marker(page, waiting)).to_be_visible(timeout=TIMEOUT)
        await expect(page.get_by_test_id("map-note")).to_contain_text("Peta dasar tidak tersedia")
        await check_screen(page, shots, "map-5-report-no-tiles")
        assert len(Tiles.served) == asked
        await page.context.close()

        # On a desktop, in English.
        page = await sign_in(browser, base, phone, refused, width=1280)
        await page.get_by_role("button", name="Ganti bahasa ke English").click()
        await page.get_by_role("link", name="Map").click()
        await expect(page.get_by_role("heading", name="Map of verified reports")).to_be_visible()
        await expect(page.get_by_test_id("map-note")).to_contain_text("base map is not available")
        await expect(marker(page, shown[0])).to_be_visible(timeout=TIMEOUT)
        await check_screen(page, shots, "map-6-desktop-en", screenshot=True)
        assert refused == [], refused
