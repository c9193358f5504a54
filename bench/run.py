"""`make bench`: every benchmark of issue 8, each figure beside its baseline from the same run.

    uv run --group bench python bench/run.py [--quick] [--only intake,relay] [--write-doc]

Prints one Markdown table and the machine it ran on, saves them as JSON under var/bench/, and
with --write-doc puts the table into docs/performance.md between its bench markers. --quick runs
each benchmark small (a few minutes in all): for trying the command, not for quoting figures.
The full run takes about 20 minutes on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from figures import Figure, details, machine, save, table

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "docs" / "performance.md"

# name → (module, full-size arguments, quick arguments)
BENCHMARKS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "intake": ("intake_vs_bare", {"seconds": 15}, {"seconds": 5}),
    "relay": ("relay", {"events": 20_000}, {"events": 5_000}),
    # The target rate, and one the platform sustains on this machine, so the table shows both.
    "e2e": ("end_to_end", {"rate": 1000, "seconds": 60}, {"rate": 200, "seconds": 10}),
    "e2e-sustained": ("end_to_end", {"rate": 400, "seconds": 60}, {"rate": 100, "seconds": 10}),
    "rebuild": ("rebuild", {"reports": 20_000}, {"reports": 2_000}),
    "store": ("event_store", {"appends": 20_000}, {"appends": 5_000}),
    # The issue's million events: about 35 of `make bench`'s 60 minutes on two cores, most of it
    # the four services consuming them as they are published.
    "memory": ("memory", {"events": 1_000_000}, {"events": 10_000}),
    # Issue 19: six 40-megapixel PNGs uploaded at once, intake's peak RSS.
    "photo-memory": ("photo_memory", {"uploads": 6, "rounds": 2}, {"uploads": 6, "rounds": 1}),
    # Issue 22: sign-ins/s with Argon2id at identity's parameters, and the hash alone.
    "signin": ("signin", {"seconds": 20}, {"seconds": 5, "accounts": 24}),
    # Issue 23: Lighthouse's mobile profile on the RT app's sign-in, compose and my reports.
    "rt-app-lighthouse": ("lighthouse", {"runs": 3}, {"runs": 1, "reports": 2}),
    # Issue 24: Lighthouse's desktop profile on the leaders' dashboard's first load.
    "dashboard-lighthouse": ("dashboard_lighthouse", {"runs": 3}, {"runs": 1, "reports": 6}),
    # Issue 24: a report's submission to its link in a lurah's open console, at 10 and 100/s.
    "console-stream": ("console_stream", {"seconds": 20}, {"seconds": 5}),
}


def run_one(name: str, quick: bool) -> list[Figure]:
    module_name, full, small = BENCHMARKS[name]
    measure: Callable[..., list[Figure]] = importlib.import_module(module_name).measure
    started = time.perf_counter()
    figures = measure(**(small if quick else full))
    print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return figures


def write_doc(text: str) -> None:
    doc = DOC.read_text()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    block = f"{begin}\n{text}\n{end}"
    doc = re.sub(f"{begin}.*?{end}", lambda _: block, doc, flags=re.DOTALL)
    DOC.write_text(doc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the command")
    parser.add_argument("--only", help=f"comma-separated, some of {', '.join(BENCHMARKS)}")
    parser.add_argument("--write-doc", action="store_true", help="update docs/performance.md")
    parser.add_argument("--out", type=Path, default=HERE.parent / "var" / "bench" / "results.json")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    figures: list[Figure] = []
    failed: list[str] = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr)
        try:
            figures.extend(run_one(name, args.quick))
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
            print(f"  {name} failed: {exc!r}", file=sys.stderr)
    about = machine()
    text = "\n".join(
        [
            f"Measured {about['date']} on {about['cpu']}, {about['memory']}, Python "
            f"{about['python']}, RabbitMQ {about['rabbitmq']}"
            + (" (--quick sizes)" if args.quick else "")
            + ".",
            "",
            table(figures),
            "",
            details(figures),
        ]
    )
    print(text)
    for failure in failed:
        print(f"FAILED {failure}")
    save(figures, args.out)
    if args.write_doc:
        write_doc(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
