"""Issue 24: from a report's submission to its appearance in a lurah's open console.

    uv run --group bench python bench/console_stream.py [--seconds 20] [--rates 10,100]

The five services start as `make run` starts them (identity too, on free ports, shipped
settings), with the console as `make app` builds it. A lurah of Pelita Jaya is created with the
admin API, activated, and signs in to the console in Debian's headless Chromium, which stays
open on the worklist. Then the RT heads of every RT of that kelurahan (8) submit reports through
the gateway at each rate in turn, spread evenly over `--seconds`.

Measured per report: from the gateway's 202 (wall clock, here) to the first moment a link to
the report is in the page (a MutationObserver in the page, `performance.timeOrigin + now()`:
the same wall clock). The path between is the whole pipeline: intake's outbox relay,
RabbitMQ, the notification service's inbox fold and its SSE stream through the gateway, the
console's 300 ms coalescing, its re-read of the verification queue (whose view must have the
report too), and Preact's render. Past the loaded list (100 items) an arrival is listed from
its notice under "Baru masuk" (a disclosure the lurah opens), which counts as appearing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import psutil
from figures import Figure, table
from playwright.async_api import Page, async_playwright
from processes import Platform, clean_up_on_sigterm
from support import ROOT, activated_account, chromium_and_apps, new_phone, on_platform

from sipokat.runtime.testing import bearer
from sipokat.wilayah import load_default_directory, rt_code

KELURAHAN = "16.73.02.1019"  # Pelita Jaya, Lubuk Linggau Barat I
PASSWORD = "Kelurahan-Pelita-2026"
STRAGGLERS = 60.0  # s: how long after the last submission a report may still appear

# First appearance of each report's link, in wall-clock ms (installed before the app loads).
OBSERVER = """
performance.setResourceTimingBufferSize(100000);
window.__seen = {};
new MutationObserver(() => {
  const now = performance.timeOrigin + performance.now();
  for (const a of document.querySelectorAll('a[href^="#/report/"]')) {
    const id = decodeURIComponent(a.getAttribute('href').slice('#/report/'.length));
    if (!(id in window.__seen)) window.__seen[id] = now;
  }
}).observe(document, { childList: true, subtree: true });
"""


async def lurah(client: httpx.AsyncClient) -> str:
    return await activated_account(
        client,
        new_phone("0812"),
        PASSWORD,
        name="Bu Lurah Pelita",
        role="lurah",
        wilayah=KELURAHAN,
    )


async def sign_in(page: Page, base: str, phone: str) -> None:
    await page.goto(f"{base}/console/")
    await page.get_by_label("Nomor HP").fill(phone)
    await page.get_by_label(re.compile("^Kata sandi")).fill(PASSWORD)
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await page.locator('[data-testid="live-state"].live').wait_for(timeout=60_000)


async def submit_at(
    client: httpx.AsyncClient, rate: float, seconds: float, tag: str
) -> tuple[dict[str, float], int]:
    """Reports at `rate`/s for `seconds`, round robin over the RTs: report id → 202's wall ms."""
    kelurahan = load_default_directory().kelurahan(KELURAHAN)
    heads = [bearer("ketua_rt", rt_code(KELURAHAN, n + 1)) for n in range(kelurahan.rt_count)]
    accepted: dict[str, float] = {}
    refused = 0
    today = datetime.now(UTC).date().isoformat()

    async def one(n: int) -> None:
        nonlocal refused
        sent = await client.post(
            "/v1/reports",
            json={
                "kind": "kegiatan",
                "bidang": "kesehatan_lingkungan",
                "title": f"Kerja bakti {tag} nomor {n}",
                "description": "Warga bergotong royong membersihkan saluran air.",
                "activity_date": today,
            },
            headers={**heads[n % len(heads)], "Idempotency-Key": str(uuid.uuid4())},
        )
        if sent.status_code == 202:
            accepted[sent.json()["report_id"]] = time.time() * 1000
        else:
            refused += 1

    started = time.monotonic()
    tasks = []
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    return accepted, refused


async def queue_reads(page: Page) -> list[float]:
    """How long each of the console's worklist reads took (ms) since the last call."""
    found: list[float] = await page.evaluate(
        """() => {
            const reads = performance.getEntriesByType('resource')
                .filter((e) => e.name.includes('/v1/verification/queue')).map((e) => e.duration);
            performance.clearResourceTimings();
            return reads;
        }"""
    )
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def cpu_seconds(platform: Platform) -> dict[str, float]:
    """Each service's CPU time so far (user + system)."""
    found: dict[str, float] = {}
    for service in platform.services:
        times = platform.process(service).cpu_times()
        found[service] = times.user + times.system
    # Chromium (Playwright's driver starts it, below this process): the console's own share.
    browser = [p for p in psutil.Process().children(recursive=True) if "chrom" in p.name()]
    found["chromium"] = 0.0
    for process in browser:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            found["chromium"] += times.user + times.system
    return found


async def run(
    platform: Platform, chromium: str, rates: list[float], seconds: float
) -> list[dict[str, Any]]:
    base = platform.url("intake")
    results: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client, async_playwright() as pw:
        phone = await lurah(client)
        browser = await pw.chromium.launch(executable_path=chromium, headless=True)
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
        await context.add_init_script(OBSERVER)
        page = await context.new_page()
        streams: list[str] = []  # each opening of the inbox stream: reconnects show here
        page.on("request", lambda r: streams.append(r.url) if "/stream" in r.url else None)
        await sign_in(page, base, phone)
        await queue_reads(page)  # not the first load's
        for rate in rates:
            load_before = os.getloadavg()[0]
            opened = len(streams)
            cpu_before, started = cpu_seconds(platform), time.monotonic()
            accepted, refused = await submit_at(client, rate, seconds, uuid.uuid4().hex[:4])
            deadline = time.monotonic() + STRAGGLERS
            seen: dict[str, float] = {}
            while time.monotonic() < deadline:
                seen = await page.evaluate("window.__seen")
                if all(rid in seen for rid in accepted):
                    break
                await asyncio.sleep(0.5)
            delays = [seen[rid] - at for rid, at in accepted.items() if rid in seen]
            reads = await queue_reads(page)
            spent = time.monotonic() - started
            cores = {
                k: (v - cpu_before.get(k, 0.0)) / spent for k, v in cpu_seconds(platform).items()
            }
            results.append(
                {
                    "rate": rate,
                    "sent": int(rate * seconds),
                    "accepted": len(accepted),
                    "refused": refused,
                    "appeared": len(delays),
                    "p50": percentile(delays, 0.50),
                    "p99": percentile(delays, 0.99),
                    "max": max(delays, default=float("nan")),
                    "load": f"{load_before:.2f} → {os.getloadavg()[0]:.2f}",
                    "reconnects": len(streams) - opened,
                    "reads": len(reads),
                    "cores": ", ".join(f"{k} {v:.2f}" for k, v in cores.items()),
                    "read_p50": percentile(reads, 0.5),
                    "read_p99": percentile(reads, 0.99),
                }
            )
            print(results[-1], file=sys.stderr)
        # What the lurah saw at the end (the list, "Baru masuk"): var/bench/console-stream.png.
        shot = ROOT / "var" / "bench" / "console-stream.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        if await page.get_by_test_id("arrivals").count():
            await page.get_by_test_id("arrivals").locator("summary").click()
        await page.screenshot(path=str(shot), full_page=False)
        await browser.close()
    return results


def measure(seconds: float = 20, rates: tuple[float, ...] = (10, 100)) -> list[Figure]:
    chromium = chromium_and_apps()
    results = on_platform(
        lambda platform: asyncio.run(run(platform, chromium, list(rates), seconds))
    )
    figures: list[Figure] = []
    for r in results:
        notes = (
            f"{r['appeared']}/{r['accepted']} appeared ({r['refused']} refused) in "
            f"{seconds:.0f} s at {r['rate']:.0f}/s; max {r['max']:,.0f} ms; stream reopened "
            f"{r['reconnects']} times; {r['reads']} worklist reads, p50 {r['read_p50']:,.0f} ms, "
            f"p99 {r['read_p99']:,.0f} ms; cores used from the first submission until all were "
            f"shown: {r['cores']}; "
            f"load average (1 min) {r['load']}"
        )
        for share in ("p50", "p99"):
            figures.append(
                Figure(
                    f"Console stream at {r['rate']:.0f} reports/s: submitted to shown, {share}",
                    "ms",
                    r[share],
                    higher_is_better=False,
                    notes=notes,
                    extra={k: v for k, v in r.items() if isinstance(v, int | float | str)},
                )
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rates", default="10,100")
    args = parser.parse_args()
    clean_up_on_sigterm()
    figures = measure(args.seconds, tuple(float(r) for r in args.rates.split(",")))
    print(table(figures))


if __name__ == "__main__":
    main()
