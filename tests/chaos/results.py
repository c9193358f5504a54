"""The fault suite's results: each scenario writes its row to one JSON file, which
`tests/chaos/report.py` turns into docs/reliability.md.

SIPOKAT_CHAOS_SECONDS: how long each scenario keeps up its faults under load (default 15, the
bounded run of `make test`); SIPOKAT_CHAOS_RESULTS: the JSON file (default
var/chaos/results.json).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from checker import Tally

ROOT = Path(__file__).resolve().parents[2]


def chaos_seconds() -> float:
    return float(os.environ.get("SIPOKAT_CHAOS_SECONDS", "15"))


def results_path() -> Path:
    return Path(os.environ.get("SIPOKAT_CHAOS_RESULTS", ROOT / "var" / "chaos" / "results.json"))


def record(
    scenario: str,
    tally: Tally,
    *,
    decisions: int,
    dead_lettered: int,
    faults: str,
    seconds: float,
    broker_version: str,
) -> None:
    """Add (or replace) one scenario's row."""
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    rows: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    rows[scenario] = {
        "accepted": tally.accepted,
        "decisions": decisions,
        "lost": tally.total_lost,
        "duplicated": tally.total_duplicated,
        "lost_by_view": tally.lost,
        "duplicated_by_view": tally.duplicated,
        "problems": tally.problems,
        "dead_lettered": dead_lettered,
        "faults": faults,
        "seconds": round(seconds, 1),
        "chaos_seconds": chaos_seconds(),
        "broker_version": broker_version,
        "finished_at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    path.write_text(json.dumps(rows, indent=2, sort_keys=True))
