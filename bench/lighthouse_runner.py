"""What the Lighthouse benchmarks share (bench/lighthouse.py on the RT app, dashboard_lighthouse.py
on the console): Lighthouse's packages, running a flow script of bench/lighthouse/ a number of
times, and reading a Lighthouse result into the figures they report."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from support import chromium_and_apps, run

TOOL = Path(__file__).resolve().parent / "lighthouse"


def prepare() -> str:
    """Chromium, the apps' build and Lighthouse's packages; the Chromium's path."""
    chromium = chromium_and_apps()
    stamp = TOOL / "node_modules" / ".sipokat-lock.sha256"
    wanted = hashlib.sha256((TOOL / "package-lock.json").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text().strip() != wanted:
        print("installing Lighthouse (npm ci in bench/lighthouse)", file=sys.stderr)
        # No install scripts: puppeteer-core downloads no browser, Lighthouse needs none.
        npm_ci = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        run(npm_ci, TOOL, 900)
        stamp.write_text(wanted)
    return chromium


def run_flows(
    script: str, base: str, phone: str, password: str, folder: Path, runs: int, chromium: str
) -> list[dict[str, Any]]:
    """`node <script> <base> <phone> <password> <folder>/run-<n>` `runs` times; each run's
    flow result (flow.json)."""
    for n in range(runs):
        subprocess.run(
            ["node", str(TOOL / script), base, phone, password, str(folder / f"run-{n + 1}")],
            cwd=TOOL,
            env={**os.environ, "CHROME_PATH": chromium},
            check=True,
            timeout=900,
        )
    return [json.loads((folder / f"run-{n + 1}" / "flow.json").read_text()) for n in range(runs)]


def summary(lhr: dict[str, Any], platform_host: str, own: str = "/app/") -> dict[str, Any]:
    """One load's figures; `own_bytes` counts the files under the `own` path (the app's)."""
    audits = lhr["audits"]
    requests = audits["network-requests"]["details"]["items"]
    own_bytes = sum(r.get("transferSize", 0) for r in requests if own in r["url"])
    api_bytes = sum(r.get("transferSize", 0) for r in requests if "/v1/" in r["url"])
    foreign = sorted(
        {
            r["url"]
            for r in requests
            if urlsplit(r["url"]).scheme in ("http", "https")
            and urlsplit(r["url"]).netloc != platform_host
        }
    )
    failing_a11y = [
        f"{ref['id']} ({audits[ref['id']]['score']})"
        for ref in lhr["categories"]["accessibility"]["auditRefs"]
        if ref["weight"] > 0 and audits[ref["id"]]["score"] not in (None, 1)
    ]
    interactive = audits.get("interactive", {}).get("numericValue")
    return {
        "performance": 100 * (lhr["categories"]["performance"]["score"] or 0),
        "accessibility": 100 * (lhr["categories"]["accessibility"]["score"] or 0),
        "best_practices": 100 * (lhr["categories"]["best-practices"]["score"] or 0),
        "bytes": audits["total-byte-weight"]["numericValue"],
        "own_bytes": own_bytes,
        "api_bytes": api_bytes,
        "requests": len(requests),
        "foreign": foreign,
        "tti_ms": interactive,
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "si_ms": audits["speed-index"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "failing_a11y": failing_a11y,
        "opportunities": [
            f"{a['id']} ({a['details'].get('overallSavingsMs', 0):.0f} ms)"
            for a in audits.values()
            if a.get("details", {}).get("type") == "opportunity"
            and a.get("score") is not None
            and a["score"] < 1
        ],
        "throttling": lhr["configSettings"]["throttlingMethod"],
        "form_factor": lhr["configSettings"]["formFactor"],
        "lighthouse": lhr["lighthouseVersion"],
        "user_agent": lhr["environment"]["hostUserAgent"],
    }


def timings(s: dict[str, Any]) -> str:
    tti = f"TTI {s['tti_ms']:,.0f} ms" if s["tti_ms"] is not None else "TTI unavailable"
    return (
        f"{tti}, FCP {s['fcp_ms']:,.0f} ms, LCP {s['lcp_ms']:,.0f} ms, "
        f"TBT {s['tbt_ms']:,.0f} ms, CLS {s['cls']:.3f}"
    )


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The middle run by performance score (ties: by time to interactive), its figures kept
    together, as Lighthouse's own advice on variability picks one run rather than mixing."""
    ordered = sorted(runs, key=lambda s: (s["performance"], -(s["tti_ms"] or 0)))
    middle = dict(ordered[len(ordered) // 2])
    scores = sorted(s["performance"] for s in runs)
    tbts = sorted(s["tbt_ms"] for s in runs)
    middle["spread"] = (
        f"{len(runs)} runs: performance {scores[0]:.0f} to {scores[-1]:.0f}, "
        f"TBT {tbts[0]:,.0f} to {tbts[-1]:,.0f} ms"
        if len(runs) > 1
        else "1 run"
    )
    return middle


def about(first: dict[str, Any]) -> str:
    """Which Lighthouse measured how, for the run's log."""
    return (
        f"Lighthouse {first['lighthouse']}, {first['form_factor']}, throttling "
        f"{first['throttling']}, {first['user_agent']}"
    )
