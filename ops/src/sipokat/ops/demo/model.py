"""The demo's settings, its running counts and the summary it ends with."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sipokat.events.catalogue import Tier
from sipokat.ops.demo.policy import DecisionPolicy


@dataclass(frozen=True)
class DemoConfig:
    gateway: str = "http://127.0.0.1:8000"
    kota: str = "16.73"
    rate: float = 2.0  # reports offered per second
    duration: float | None = None  # seconds of submitting; with `reports`, whichever ends first
    reports: int | None = None  # neither: submit until stopped
    speed: float = 1440.0  # simulated seconds per real second: a day a minute
    seed: int | None = None
    concurrency: int = 32  # requests in flight at most
    drain: float = 120.0  # seconds to keep verifying after the last submission
    sweep_seconds: float = 30.0  # how often a verifier looks at their queue unprompted
    policy: DecisionPolicy = field(default_factory=DecisionPolicy)
    # The platform's data folder: identity's store (the demo's admin comes from it) and the
    # demo's own `demo-accounts.json`.
    data_dir: Path = Path("var")
    # A kelurahan code whose lurah the demo plays but never lets decide: its reports wait in
    # the console's worklist for a person (the CLI leaves the busiest one unless told).
    leave: str | None = None


@dataclass
class Tally:
    """Counts as the demo runs; the progress bar reads it."""

    submitted: int = 0
    photos: int = 0
    approved: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    verified: int = 0
    revised: int = 0
    abandoned: set[str] = field(default_factory=set)  # rejected, and the RT let it be
    races: int = 0  # 409: a decision or revision that lost to the platform's state
    throttled: int = 0  # 429: waited for Retry-After and tried again
    errors: Counter[str] = field(default_factory=Counter)  # other non-2xx, or "transport"
    error_samples: list[str] = field(default_factory=list)
    submit_latencies: list[float] = field(default_factory=list)
    offered: int = 0  # submissions the scheduler started
    reports: dict[str, str] = field(default_factory=dict)  # report id -> status last answered
    held: set[str] = field(default_factory=set)  # sent to the left lurah, who decides nothing

    @property
    def decided(self) -> int:
        return sum(self.approved.values()) + sum(self.rejected.values())

    @property
    def settled(self) -> int:
        verified = sum(1 for status in self.reports.values() if status == "verified")
        return verified + len(self.abandoned) + len(self.left)

    @property
    def left(self) -> list[str]:
        """Reports waiting for the left lurah: settled as far as the demo goes."""
        return sorted(i for i in self.held if self.reports.get(i) == "awaiting_kelurahan")

    def error(self, kind: str, sample: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(sample)


@dataclass(frozen=True)
class Account:
    """A made-up demo account to sign in to the console with."""

    role: str
    wilayah: str
    name: str  # the area's name
    phone: str
    password: str


@dataclass(frozen=True)
class ConsoleHint:
    """How a person tries the console after (or while) the demo runs."""

    url: str
    lurah: Account | None
    lurah_waiting: int | None  # in that lurah's worklist (the platform's count)
    pemkot: Account | None
    credentials_file: str


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    kota: str
    elapsed_seconds: float
    submit_seconds: float
    submitted: int
    photos: int
    approved: dict[str, int]  # per tier
    rejected: dict[str, int]
    verified: int
    revised: int
    abandoned: list[str]  # report ids left awaiting_revision by their RT
    leave: str | None  # the kelurahan whose lurah the demo left to a person
    left: list[str]  # report ids waiting for that lurah
    races: int
    throttled: int
    errors: dict[str, int]
    error_samples: list[str]
    reports: dict[str, str]  # report id -> the status the platform last answered
    submit_p50_ms: float | None
    submit_p95_ms: float | None
    console: ConsoleHint | None = None

    @classmethod
    def of(
        cls,
        tally: Tally,
        *,
        seed: int,
        kota: str,
        elapsed: float,
        submit: float,
        leave: str | None = None,
        console: ConsoleHint | None = None,
    ) -> DemoSummary:
        latencies = sorted(tally.submit_latencies)
        quantiles = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies
        return cls(
            seed=seed,
            kota=kota,
            elapsed_seconds=round(elapsed, 2),
            submit_seconds=round(submit, 2),
            submitted=tally.submitted,
            photos=tally.photos,
            approved={str(t): tally.approved[t] for t in Tier},
            rejected={str(t): tally.rejected[t] for t in Tier},
            verified=tally.verified,
            revised=tally.revised,
            abandoned=sorted(tally.abandoned),
            leave=leave,
            left=tally.left,
            races=tally.races,
            throttled=tally.throttled,
            errors=dict(tally.errors),
            error_samples=list(tally.error_samples),
            reports=dict(tally.reports),
            submit_p50_ms=round(statistics.median(latencies) * 1000, 1) if latencies else None,
            submit_p95_ms=round(quantiles[-1] * 1000, 1) if quantiles else None,
            console=console,
        )

    @property
    def rate_achieved(self) -> float:
        return self.submitted / self.submit_seconds if self.submit_seconds > 0 else 0.0

    @property
    def pending(self) -> int:
        settled = {*self.abandoned, *self.left}
        return sum(
            1
            for report_id, status in self.reports.items()
            if status != "verified" and report_id not in settled
        )

    @property
    def ok(self) -> bool:
        """The platform answered nothing but successes, 409 races and 429s."""
        return not self.errors
