"""Prove the MongoDB event store through failovers (docs/operations.md, "Proving the MongoDB
store through a failover").

    python scripts/mongo-failover.py [--duration 60] [--writers 4] [--kills 2] [--url URL] ...

1. Starts a three-member replica set (local mongod processes, else Docker containers), or uses
   the one `--url` names.
2. Runs every MongoDB-marked test (the store contract suite and the services' store tests)
   against it with MONGODB_URL set.
3. Appends through `MongoDatabase` from several writers while two relays publish to RabbitMQ
   (RABBITMQ_URL) under a test prefix; kills the primary `--kills` times (SIGKILL or a killed
   container; `replSetStepDown` with --url), each time waiting for the new primary and bringing
   the killed member back; then drains the relays and checks the outcome (`check.py`).

Exit status: 0 proved; 1 a violation, a failing suite or a failing run; 2 bad arguments;
3 nothing to run on (no mongod, Docker or --url; or no RabbitMQ).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mongo_failover import replset
from mongo_failover.check import Verdict, check, table
from mongo_failover.replset import ReplicaSet, Unavailable, all_healthy, primary_of, wait_for

if TYPE_CHECKING:
    from mongo_failover.load import Disrupt

ROOT = Path(__file__).resolve().parents[2]
# Where the MongoDB-marked tests live (tests/ is left out: the failover test is one of them).
SUITE_PATHS = ("libs", "services")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mongo-failover",
        description="Prove the MongoDB event store through primary failovers: nothing "
        "acknowledged lost, everything stored published once, in position order.",
    )
    p.add_argument(
        "--url",
        help="an existing replica set (mongodb://h1,h2,h3/?replicaSet=NAME); its primary is "
        "stepped down (replSetStepDown) instead of killed. Default: start one here",
    )
    p.add_argument(
        "--rabbitmq-url",
        default=os.environ.get("RABBITMQ_URL") or "amqp://guest:guest@127.0.0.1/",
        help="the broker the relays publish to, under a test prefix (default RABBITMQ_URL)",
    )
    p.add_argument("--duration", type=_positive_float, default=60.0, help="seconds of appends")
    p.add_argument("--writers", type=_positive_int, default=4, help="concurrent writers")
    p.add_argument(
        "--replicas",
        type=_positive_int,
        default=2,
        help="store handles, each with its own relay, sharing the writers (replicas of a service)",
    )
    p.add_argument("--kills", type=_not_negative, default=2, help="primaries to kill")
    p.add_argument(
        "--down",
        type=_not_negative,
        default=5,
        help="seconds a killed member stays down while appends go on against the new primary",
    )
    p.add_argument(
        "--drain-timeout",
        type=_positive_float,
        default=120.0,
        help="seconds the relays get to publish everything after the writers stop",
    )
    p.add_argument("--skip-suite", action="store_true", help="do not run the MongoDB tests")
    p.add_argument(
        "--allow-redelivery",
        action="store_true",
        help="report an event delivered twice (the relay republishing after a checkpoint write "
        "failed: at least once, DESIGN) without failing",
    )
    p.add_argument(
        "--keep", action="store_true", help="keep the test database and the mongod dbpaths"
    )
    p.add_argument("--verbose", action="store_true", help="the relays' info logs too")
    return p


@dataclass
class Report:
    """What the run did, printed above the verdict."""

    facts: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    failovers: list[str] = field(default_factory=list)
    primaries: list[str] = field(default_factory=list)

    def add(self, name: str, value: object) -> None:
        self.facts.append((name, str(value)))

    def render(self, verdict: Verdict | None) -> str:
        width = max((len(n) for n, _ in self.facts), default=0)
        lines = ["", "== MongoDB failover proof =="]
        lines += [f"{name:<{width}}  {value}" for name, value in self.facts]
        if self.failovers:
            lines += ["failovers:", *(f"  {line}" for line in self.failovers)]
        if self.primaries:
            lines.append("primaries seen: " + " -> ".join(self.primaries))
        if verdict is not None:
            lines += ["", table(verdict)]
        if self.failures:
            lines += ["", "FAILED:", *(f"  {failure}" for failure in self.failures)]
        return "\n".join(lines)


def run_suite(url: str) -> int:
    """The MongoDB-marked tests against `url`, output straight to the terminal."""
    command = [
        sys.executable, "-m", "pytest", "-m", "mongodb and not disruptive",
        "-q", "-p", "no:cacheprovider", *SUITE_PATHS,
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=ROOT, env=os.environ | {"MONGODB_URL": url}, check=False
    ).returncode


async def _watch_primaries(rs: ReplicaSet, seen: list[str], stop: asyncio.Event) -> None:
    while not stop.is_set():
        primary = primary_of(await rs.status())
        if primary and (not seen or seen[-1] != primary):
            seen.append(primary)
        await asyncio.sleep(1)


def _disruption(rs: ReplicaSet, args: argparse.Namespace, report: Report) -> Disrupt:
    verb = "stepped down" if args.url else "killed"

    async def disrupt(started: float) -> None:
        for k in range(args.kills):
            await asyncio.sleep(
                max(0.0, started + args.duration * (k + 1) / (args.kills + 1) - time.monotonic())
            )
            at = time.monotonic()
            victim = await rs.fail_primary()

            def elected_other(states: list[replset.MemberState], old: str = victim) -> bool:
                return primary_of(states) not in (None, old)

            states = await wait_for(rs.status, f"elect a primary but {victim}", elected_other)
            elected = time.monotonic()
            await asyncio.sleep(args.down)
            await rs.recover(victim)
            await wait_for(rs.status, f"take {victim} back", all_healthy, 300)
            report.failovers.append(
                f"{k + 1}. {verb} {victim} at {at - started:.1f} s; {primary_of(states)} primary "
                f"{elected - at:.1f} s later; {victim} back as a member "
                f"{time.monotonic() - elected:.1f} s after that"
            )

    return disrupt


async def prove(rs: ReplicaSet, args: argparse.Namespace, report: Report) -> Verdict | None:
    from mongo_failover import load

    began = time.monotonic()
    report.add("replica set", rs.description)
    await rs.start()
    report.add("set started in", f"{time.monotonic() - began:.1f} s")
    report.add("MONGODB_URL", rs.url if not args.url else "(--url)")
    if args.skip_suite:
        report.add("MongoDB tests", "skipped (--skip-suite)")
    else:
        suite_began = time.monotonic()
        code = await asyncio.to_thread(run_suite, rs.url)
        said = "passed" if code == 0 else f"FAILED (pytest exit {code})"
        report.add("MongoDB tests", f"{said} in {time.monotonic() - suite_began:.0f} s")
        if code != 0:
            report.failures.append(
                "the MongoDB tests did not pass"
                + (" (none ran: pytest exit 5)" if code == 5 else "")
            )
    report.add(
        "load",
        f"{args.writers} writers over {args.replicas} store handles, each with a relay; "
        f"{args.duration:g} s, {args.kills} failover(s), member down {args.down} s",
    )
    watching = asyncio.Event()
    watcher = asyncio.create_task(_watch_primaries(rs, report.primaries, watching))
    load_began = time.monotonic()
    open_store, drop_store = load.mongodb_store(rs.url, keep=args.keep)
    try:
        outcome = await load.run(
            open_store,
            args.rabbitmq_url,
            writers=args.writers,
            replicas=args.replicas,
            duration=args.duration,
            disrupt=_disruption(rs, args, report),
            drain_seconds=args.drain_timeout,
        )
    finally:
        watching.set()
        await watcher
        with contextlib.suppress(Exception):
            await drop_store()
    report.add("load ran", f"{time.monotonic() - load_began:.1f} s")
    report.add("append calls", len(outcome.appends))
    report.add("relay reconnects", outcome.relay_reconnects)
    if isinstance(rs, replset.LocalReplicaSet):
        report.add("rollback files written", rs.rolled_back_files())
    if outcome.disruption_error:
        report.failures.append(f"the failover did not complete: {outcome.disruption_error}")
    if args.kills and len(report.failovers) < args.kills:
        report.failures.append(f"{len(report.failovers)} of {args.kills} failovers happened")
    report.failures += [f"a writer crashed: {error}" for error in outcome.writer_errors]
    if not outcome.drained:
        report.failures.append(
            f"the relays did not publish everything within {args.drain_timeout:g} s"
        )
    if not outcome.tap_complete:
        report.failures.append("the test queue did not deliver everything within 60 s")
    verdict = check(
        outcome.appends,
        outcome.delivered,
        outcome.stored,
        allow_redelivery=args.allow_redelivery,
    )
    if not verdict.ok:
        report.failures.append("violations: " + ", ".join(verdict.violations()))
    return verdict


async def _main(rs: ReplicaSet, args: argparse.Namespace) -> int:
    report = Report()
    verdict: Verdict | None = None
    began = time.monotonic()
    try:
        verdict = await prove(rs, args, report)
    except Unavailable as exc:
        print(f"mongo-failover: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except Exception as exc:
        report.failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        await rs.stop()
    report.add("total", f"{(time.monotonic() - began) / 60:.1f} min")
    print(report.render(verdict), flush=True)
    return EXIT_FAILED if report.failures else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or bad arguments (2)
        return int(exc.code or 0)
    from sipokat.events.testing.broker import broker_error
    from sipokat.runtime.logging import configure_logging

    configure_logging("mongo-failover", "INFO" if args.verbose else "WARNING", fmt="console")
    try:
        rs = replset.choose(args.url, keep=args.keep, failover=args.kills > 0)
    except Unavailable as exc:
        print(f"mongo-failover: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    error = broker_error(args.rabbitmq_url)
    if error is not None:
        print(
            f"mongo-failover: RabbitMQ does not answer at the --rabbitmq-url/RABBITMQ_URL "
            f"({error!r}); start one (`make broker`) or point RABBITMQ_URL at one",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    return asyncio.run(_main(rs, args))
