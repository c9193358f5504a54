"""The demo on a terminal: a live progress bar (rich) and the closing summary."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from sipokat.ops.demo.model import Account, ConsoleHint, DemoConfig, DemoSummary, Tally


class ProgressBar:
    """An observer for `run_demo`: reports submitted, then reports settled (verified, or
    rejected and left by their RT)."""

    def __init__(self, config: DemoConfig, console: Console | None = None) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<9}"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            console=console,
            refresh_per_second=4,
        )
        total = config.reports
        if config.duration is not None:
            planned = int(config.duration * config.rate)
            total = planned if total is None else min(total, planned)
        self._submitted: TaskID = self._progress.add_task("submitted", total=total, stats="")
        self._settled: TaskID = self._progress.add_task("settled", total=0, stats="")
        self._started = time.monotonic()
        self._rate = 0.0

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, tally: Tally, phase: str) -> None:
        if phase == "submitting":  # afterwards the rate achieved stands
            self._rate = tally.submitted / max(time.monotonic() - self._started, 1e-9)
        errors = sum(tally.errors.values())
        self._progress.update(
            self._submitted,
            completed=tally.submitted,
            stats=f"{self._rate:5.1f}/s  photos {tally.photos}  errors {errors}  "
            f"429 {tally.throttled}",
        )
        self._progress.update(
            self._settled,
            completed=tally.settled,
            total=max(len(tally.reports), 1),
            description=phase if phase != "submitting" else "settled",
            stats=f"decided {tally.decided}  verified {tally.verified}  "
            f"rejected {sum(tally.rejected.values())}  revised {tally.revised}  "
            f"409 {tally.races}",
        )


def format_summary(summary: DemoSummary) -> str:
    tiers = "  ".join(
        f"{tier} +{summary.approved[tier]}/-{summary.rejected[tier]}" for tier in summary.approved
    )
    latency = (
        f"p50 {summary.submit_p50_ms} ms, p95 {summary.submit_p95_ms} ms"
        if summary.submit_p50_ms is not None
        else "no answers"
    )
    lines = [
        f"Demo of kota {summary.kota} (seed {summary.seed}) ran {summary.elapsed_seconds:.1f} s",
        f"  submitted   {summary.submitted} in {summary.submit_seconds:.1f} s "
        f"({summary.rate_achieved:.2f}/s; {latency}), {summary.photos} photos",
        f"  decisions   {tiers}   (approved/rejected per tier)",
        f"  verified    {summary.verified}; revised {summary.revised}; left rejected "
        f"{len(summary.abandoned)}; still in review {summary.pending}",
        f"  answers     409 races {summary.races}; 429 waited {summary.throttled}; "
        f"errors {sum(summary.errors.values())} {summary.errors or ''}",
    ]
    lurah = summary.console.lurah if summary.console else None
    named = f"{lurah.name}, " if lurah and lurah.wilayah == summary.leave else ""
    left = f" (left to the lurah of {named}{summary.leave})" if summary.leave else ""
    lines.insert(4, f"  waiting     {len(summary.left)} for a person{left}")
    lines += [f"    {sample}" for sample in summary.error_samples]
    if summary.console is not None:
        lines += ["", format_hint(summary.console, summary.leave)]
    return "\n".join(lines)


def format_hint(hint: ConsoleHint, leave: str | None) -> str:
    """Where to sign in and as whom: the demo's lurah left to a person (or the one with most
    waiting) and the city office."""
    lines = [f"Try the console: {hint.url}"]
    if (lurah := hint.lurah) is not None:
        waiting = "?" if hint.lurah_waiting is None else str(hint.lurah_waiting)
        lines += [
            f"  lurah of {lurah.name} ({lurah.wilayah}): {waiting} reports in the worklist",
            _credentials(lurah),
            "    the demo's lurah there decides nothing: those reports are yours"
            if leave is not None
            else f"    to keep a kelurahan's reports for you: --leave {lurah.wilayah} "
            f'(or --leave "{lurah.name}")',
        ]
    if (pemkot := hint.pemkot) is not None:
        lines += [f"  city office (pemkot) of {pemkot.name}:", _credentials(pemkot)]
    if lurah is None and pemkot is None:
        lines.append("  (the demo could not sign its people in: see the errors above)")
    else:
        lines.append(f"  (made-up demo accounts, also in {hint.credentials_file})")
    return "\n".join(lines)


def _credentials(account: Account) -> str:
    return f"    phone {account.phone}  password {account.password}"
