"""Analytics through the gateway on the running platform: reports submitted and verified by the
real services show up in the API, in CSV, on the public page, and drawn on the dashboard in a
real headless Chromium (Debian's package, installed by scripts/install-chromium.sh)."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

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
LURAH_OF = {"16.73.02.1019": "16.73.02.1019", "16.73.01.1001": "16.73.01.1001"}
CAMAT_OF = {"16.73.02.1019": "16.73.02", "16.73.01.1001": "16.73.01"}


def chromium() -> str:
    """The browser, installed with the project's own script when missing; never a skip in CI."""
    if os.environ.get("SIPOKAT_SKIP_BROWSER_TESTS") == "1":
        pytest.skip("SIPOKAT_SKIP_BROWSER_TESTS=1: browser tests switched off")
    if shutil.which("chromium") is None:
        subprocess.run(["bash", str(ROOT / "scripts/install-chromium.sh")], check=True, timeout=900)
    path = shutil.which("chromium")
    assert path, "chromium is not installed and scripts/install-chromium.sh could not install it"
    return path


def run_chromium(url: str, *args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                # Lets the page's fetches and drawing finish before the DOM is taken.
                "--virtual-time-budget=20000",
                *args,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


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
        rows = list(csv.DictReader(io.StringIO(exported.text)))
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
