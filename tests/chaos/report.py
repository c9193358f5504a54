"""Run the fault suite with a longer duration and write docs/reliability.md from its results.

    python tests/chaos/report.py [--seconds 120] [--no-run] [pytest args...]

Each scenario (tests/chaos/test_faults.py) writes its row to a JSON file; this runs them with
SIPOKAT_CHAOS_SECONDS set, then writes the table: scenario x accepted / lost / duplicated /
dead-lettered, with the date and the machine. `make chaos` runs it; `make soak` longer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"

ORDER = [
    "broker stop_app / start_app",
    "consumers killed (kill -9)",
    "duplicate deliveries",
    "poison messages (+ dlq replay)",
    "link delayed, stalled and cut",
]


def run(seconds: float, results: Path, extra: list[str]) -> int:
    env = os.environ | {
        "SIPOKAT_CHAOS_SECONDS": str(seconds),
        "SIPOKAT_CHAOS_RESULTS": str(results),
    }
    command = [sys.executable, "-m", "pytest", "tests/chaos", "-q", "-p", "no:cacheprovider"]
    return subprocess.run([*command, *extra], cwd=ROOT, env=env, check=False).returncode


def write(rows: dict[str, Any], seconds: float, wall: float | None, passed: bool) -> str:
    versions = {row.get("broker_version", "?") for row in rows.values()}
    lines = [
        "# Reliability: the fault suite",
        "",
        "No accepted report is lost or counted twice across broker restarts, killed consumers,",
        "duplicate deliveries and poison messages (DESIGN §9). `tests/chaos/` checks it in the",
        "style of RabbitMQ's Jepsen test: the four services run as processes on a RabbitMQ node of",
        "the suite's own, under a steady load of submissions and decisions (every fifth report",
        "rejected by the lurah, the rest approved up to the city), while each scenario's faults go",
        "on. At the end every report the gateway accepted (202), and every decision it recorded",
        "(200), is classified in verification's status view, analytics' counts (reports, each",
        "tier's approvals and rejections, verified reports) and the inboxes (lurah, camat, pemkot",
        "and RT head): present once, lost or duplicated (`tests/checker.py`, `classify`).",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"- RabbitMQ: {', '.join(sorted(versions))} (a node of the suite's own, no plugins)",
        f"- Faults kept up for {seconds:g} s per scenario (`SIPOKAT_CHAOS_SECONDS`)"
        + (f"; the run took {wall / 60:.1f} min" if wall else ""),
        f"- Result: {'every scenario passed' if passed else 'FAILED (see the rows)'}",
        "",
        "| scenario | accepted | decisions | lost | duplicated | dead-lettered | faults |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name in [*ORDER, *sorted(set(rows) - set(ORDER))]:
        row = rows.get(name)
        if row is None:
            lines.append(f"| {name} | - | - | - | - | - | not run |")
            continue
        lines.append(
            f"| {name} | {row['accepted']} | {row['decisions']} | {row['lost']} | "
            f"{row['duplicated']} | {row['dead_lettered']} | {row['faults']} |"
        )
    lines += [
        "",
        "Lost and duplicated add up the three views (a report missing from the status view and",
        "from an inbox counts twice). Dead-lettered is what the services' dead-letter queues hold",
        "at the end: only the poison scenario puts anything there, each poison message once per",
        "service it reaches (reason `unparseable`, with the parser's error); it then replays",
        "every dead-letter queue with `sipokat dlq replay`, beside copies of good events: the good",
        "ones are consumed and change nothing (already applied), the poison comes back with its",
        "reason and `x-sipokat-replayed: 1`.",
        "",
        "Scenarios (`tests/chaos/test_faults.py`):",
        "",
        "- **broker stop_app / start_app**: `rabbitmqctl stop_app`, 10 more reports accepted",
        "  while it is down (intake stores first), `start_app`; again and again.",
        "- **consumers killed**: kill -9 of verification, analytics, notification and intake in",
        "  turn, each restarted. Intake and verification answer requests: the load is drained",
        "  first, right after a burst, so their relays and consumers are busy when they die.",
        "- **duplicate deliveries**: an outsider on the exchange publishes every event again",
        "  (1-3 copies, one in ten 20 copies) and a sample of older events on every round.",
        "- **poison messages**: unparseable bodies, an unknown event type, an envelope that fails",
        "  validation, on keys that reach every service; then the replay above.",
        "- **link delayed, stalled and cut**: every service reaches the broker through a TCP",
        "  proxy (`tests/chaos/proxy.py`): 50 ms latency, all connections cut, the link stalled",
        "  past two heartbeats, cut again.",
        "",
        "Run: `make chaos` (this table, a few minutes per scenario), `make soak` (longer); the",
        "bounded version (15 s per scenario) runs in `make test`.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="faults per scenario")
    parser.add_argument("--no-run", action="store_true", help="only write the doc from --results")
    parser.add_argument("--results", type=Path, help="the JSON file (default: a fresh one)")
    args, extra = parser.parse_known_args()
    results = args.results or Path(tempfile.mkdtemp(prefix="sipokat-chaos-")) / "results.json"
    began = time.monotonic()
    code = 0 if args.no_run else run(args.seconds, results, extra)
    wall = None if args.no_run else time.monotonic() - began
    rows = json.loads(results.read_text()) if results.exists() else {}
    passed = code == 0 and all(r["lost"] == 0 and r["duplicated"] == 0 for r in rows.values())
    DOC.write_text(write(rows, args.seconds, wall, passed))
    print(f"wrote {DOC.relative_to(ROOT)} ({len(rows)} scenarios, pytest exit {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
