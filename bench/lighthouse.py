"""Lighthouse on the RT head's app (issue 23): sign-in, compose and my reports, mobile profile.

    uv run --group bench python bench/lighthouse.py [--runs 3] [--reports 5] [--out DIR]

The five services (identity too) start as `make run` starts them, on free ports, with the app
as `make app` builds it. An RT head is created with the admin API and activated, and writes
`--reports` reports through the API so that "my reports" has a list to show. Then Lighthouse
(npm `lighthouse` 12.2.3, the last release that runs on Debian's Node.js 20, pinned with
puppeteer-core in bench/lighthouse/package-lock.json and installed there by `npm ci` when
missing, so `make run` and `make test` never install it) drives Debian's Chromium through
`bench/lighthouse/flow.mjs`: the sign-in screen signed out with nothing cached, a sign-in
through the form, then compose and my reports as real page loads, cold (HTTP cache and
service worker cleared, the session kept) and warm (the next visit).

Lighthouse's default settings are its mobile profile: a 412x823 phone screen, simulated
throttling (slow 4G: 150 ms RTT, 1.6 Mbit/s down; the CPU 4x slower), so the scores depend
little on what else the machine runs, though Total Blocking Time still follows its load.

The flow runs `--runs` times; for each load the run with the median performance score is
reported (with the spread). Reported for each load: the performance and accessibility scores,
bytes transferred (and of them the app's own files under /app/), time to interactive, LCP, TBT
and FCP; and the number of
requests to any host other than the platform's (Chromium resolves no other host). Lighthouse
counts the page's requests only; what the service worker then fetches (its precache of the whole
app) is counted from the worker's own DevTools session and reported as the first visit in all.
Each run's report (flow.html), result (flow.json) and worker requests (worker.json) go to
`--out` (default var/bench/lighthouse/<time>/run-<n>/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from figures import Figure, print_figures
from lighthouse_runner import about, median_run, prepare, run_flows, summary, timings
from processes import Platform, clean_up_on_sigterm
from support import ROOT, activated_account, load_average, new_phone, on_platform

OUT = ROOT / "var" / "bench" / "lighthouse"
RT = "16.73.02.1019/007"  # an RT of Pelita Jaya, Lubuk Linggau Barat I
PIN = "482913"
# Issue 23's targets.
PERFORMANCE, ACCESSIBILITY, FIRST_LOAD_KB = 90, 95, 150
COLD_STEPS = 3  # sign-in, compose, my reports; the warm ones follow


async def rt_head(url: str, reports: int) -> str:
    """An activated RT head with `reports` reports of its own; its phone number."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        phone = await activated_account(
            client, new_phone(), PIN, name="Pak RT Tujuh", role="ketua_rt", wilayah=RT
        )
        signed_in = await client.post("/v1/auth/signin", json={"phone": phone, "password": PIN})
        signed_in.raise_for_status()
        token = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        today = datetime.now(UTC).date().isoformat()
        for n in range(reports):
            sent = await client.post(
                "/v1/reports",
                json={
                    "kind": "kegiatan",
                    "bidang": "kesehatan_lingkungan",
                    "title": f"Kerja bakti saluran air, minggu {n + 1}",
                    "description": "Warga RT 007 bergotong royong membersihkan saluran air.",
                    "activity_date": today,
                },
                headers={**token, "Idempotency-Key": str(uuid.uuid4())},
            )
            sent.raise_for_status()
        # The list is a view the services build from the events: wait until it has them all.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            listed = await client.get("/v1/reports?limit=20", headers=token)
            if listed.status_code == 200 and len(listed.json()["items"]) >= reports:
                break
            await asyncio.sleep(0.5)
        else:
            sys.exit(f"the RT head's {reports} reports did not reach GET /v1/reports in 60 s")
    return phone


def figures_for(steps: list[tuple[str, dict[str, Any]]], load: str) -> list[Figure]:
    found: list[Figure] = []
    for index, (name, s) in enumerate(steps):
        cold = index < COLD_STEPS
        found += [
            Figure(
                f"Lighthouse {name}: performance score",
                "/ 100",
                s["performance"],
                target=PERFORMANCE,
                target_is_value=True,
                notes=f"{timings(s)}; {s['spread']}",
                extra={
                    "tti_ms": s["tti_ms"] if s["tti_ms"] is not None else "unavailable",
                    "fcp_ms": s["fcp_ms"],
                    "lcp_ms": s["lcp_ms"],
                    "tbt_ms": s["tbt_ms"],
                    "speed_index_ms": s["si_ms"],
                    "best_practices": s["best_practices"],
                    "opportunities": "; ".join(s["opportunities"]) or "none",
                    "load_average": load,
                },
            ),
            Figure(
                f"Lighthouse {name}: accessibility score",
                "/ 100",
                s["accessibility"],
                target=ACCESSIBILITY,
                target_is_value=True,
                notes="failing: " + (", ".join(s["failing_a11y"]) or "none"),
            ),
            Figure(
                f"Lighthouse {name}: bytes transferred",
                "KB",
                s["bytes"] / 1024,
                target=FIRST_LOAD_KB if cold else None,
                target_is_value=True,
                higher_is_better=False,
                notes=(
                    f"the app's files {s['own_bytes'] / 1024:.1f} KB, API "
                    f"{s['api_bytes'] / 1024:.1f} KB; {s['requests']} requests"
                ),
            ),
            Figure(
                f"Lighthouse {name}: time to interactive",
                "ms",
                s["tti_ms"] if s["tti_ms"] is not None else float("nan"),
                higher_is_better=False,
                notes=f"simulated slow 4G, 4x CPU; LCP {s['lcp_ms']:,.0f} ms",
            ),
        ]
    foreign = sorted({url for _, s in steps for url in s["foreign"]})
    found.append(
        Figure(
            "Lighthouse: requests to hosts other than the platform, all loads",
            "requests",
            float(len(foreign)),
            target=0,
            target_is_value=True,
            higher_is_better=False,
            notes=", ".join(foreign[:5]) or "none",
        )
    )
    return found


def worker_figure(workers: list[list[dict[str, Any]]], first_load: float) -> Figure:
    """What the service worker fetches after the first load (its precache of the whole app),
    which Lighthouse does not count, and the first visit's bytes in all with it.

    The worker's DevTools session is opened when Chromium announces the worker, which may be
    after its first request or two: the run that saw the most of its requests is kept (a miss
    only undercounts)."""
    fetched = max(
        (
            [w for w in run if w["phase"] == "sign-in" and "url" in w and not w["fromCache"]]
            for run in workers
        ),
        key=len,
    )
    precache = sum(w["bytes"] for w in fetched)
    worker_script = (ROOT / "apps/rt/dist/sw.js.br").stat().st_size
    return Figure(
        "RT app first visit in all: sign-in load + sw.js + the worker's precache",
        "KB",
        (first_load + worker_script + precache) / 1024,
        higher_is_better=False,
        notes=(
            f"precache {precache / 1024:.1f} KB over the network ({len(fetched)} files; the "
            f"entry script and CSS come from the HTTP cache), sw.js {worker_script / 1024:.1f} "
            "KB brotli from the build; not part of Lighthouse's count"
        ),
    )


def measure(reports: int = 5, runs: int = 3, out: Path = OUT) -> list[Figure]:
    chromium = prepare()
    folder = out / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    load_before = load_average()

    def run_all(platform: Platform) -> tuple[str, list[dict[str, Any]], float]:
        base = platform.url("intake")
        phone = asyncio.run(rt_head(base, reports))
        started = time.monotonic()
        found = run_flows("flow.mjs", base, phone, PIN, folder, runs, chromium)
        return base, found, time.monotonic() - started

    base, flows, took = on_platform(run_all)
    load = f"{load_before} → {load_average()}"
    host = urlsplit(base).netloc
    results = [[(step["name"], summary(step["lhr"], host)) for step in f["steps"]] for f in flows]
    workers: list[list[dict[str, Any]]] = [
        json.loads((folder / f"run-{n + 1}" / "worker.json").read_text()) for n in range(runs)
    ]
    steps = [
        (name, median_run([run[index][1] for run in results]))
        for index, (name, _) in enumerate(results[0])
    ]
    first = steps[0][1]
    print(
        f"{about(first)}; {runs} x {len(steps)} loads in "
        f"{took:.0f} s; load average {load}; reports in {folder}",
        file=sys.stderr,
    )
    return [*figures_for(steps, load), worker_figure(workers, first["bytes"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=5, help="the RT head's reports")
    parser.add_argument("--runs", type=int, default=3, help="flows; each load's median is kept")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    clean_up_on_sigterm()
    print_figures(measure(args.reports, args.runs, args.out))


if __name__ == "__main__":
    main()
