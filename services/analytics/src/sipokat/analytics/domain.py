"""The analytics fold: what each report event changes in the counters (pure, no I/O).

Every report has a facts document (its area, kind, bidang, months, the tier it waits at and
since when, the last stream version applied). Each event updates those facts and yields
`Delta`s: amounts to add to named counters of one month. The store adds each delta to the
report's RT, kelurahan, kecamatan and kota, so every figure can be read per month and per level
by summing counters; nothing needs the events again.

Months are WIB calendar months (`2026-03`), the time the thing happened: a report counts in the
month it was submitted, a decision in the month it was taken, a verification in the month it
was verified. Gauges that are not about a month (how many reports wait at each tier now) use the
pseudo-month `NOW`.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sipokat.events.catalogue import (
    ReportApproved,
    ReportContent,
    ReportKind,
    ReportRejected,
    ReportRevised,
    ReportSubmitted,
    ReportVerified,
    Tier,
    VerificationOverdue,
    WilayahPath,
)
from sipokat.events.envelope import Envelope

WIB = timezone(timedelta(hours=7), "WIB")
NOW = "now"
LEVELS = ("kota", "kecamatan", "kelurahan", "rt")

# Time to decision is kept as a histogram per tier and month, so medians and p90s of any period
# and area are sums of counters. Upper bounds in hours; the last bucket is open.
DECISION_BUCKETS_HOURS: tuple[float, ...] = (1, 2, 4, 8, 12, 24, 48, 72, 120, 168, 336, 720)


def month_of(moment: datetime) -> str:
    local = moment.astimezone(WIB)
    return f"{local.year:04d}-{local.month:02d}"  # strftime costs three times as much


def decision_bucket(hours: float) -> int:
    """Index of the histogram bucket holding `hours` (a bucket's bound is inclusive)."""
    return bisect.bisect_left(DECISION_BUCKETS_HOURS, hours)


@dataclass(frozen=True)
class Delta:
    month: str
    counter: str
    amount: float


@dataclass
class ReportFacts:
    """What analytics knows of one report, after the events applied so far."""

    report_id: str
    rt_code: str
    version: int = 0
    kind: str | None = None
    bidang: str | None = None
    submitted_month: str | None = None
    # When the report was first submitted (ISO); None in facts stored before it was recorded.
    submitted_at: str | None = None
    waiting_tier: str | None = None
    waiting_since: str | None = None
    verified_month: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return dict(vars(self))  # every field is a plain value: `asdict`'s deep copy is not needed

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ReportFacts:
        return cls(**doc)


@dataclass
class Programme:
    """A community-funded programme of one RT (PRODAMAS) and its verified progress reports.

    Its state at any moment is its latest verified report by verification time, so reports of
    one programme may arrive in any order (they are different reports) and the months still
    get the same amounts.
    """

    rt_code: str
    programme: str
    # [verified_at ISO, event_id, bidang_dana, amount_rupiah, progress_percent], oldest first
    history: list[list[Any]] = field(default_factory=list)

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Programme:
        return cls(**doc)

    def monthly(self) -> Counter[tuple[str, str]]:
        """What the programme adds to each month's fund counters: the change of its state."""
        amounts: Counter[tuple[str, str]] = Counter()
        previous: list[Any] | None = None
        for verified_at, _, bidang_dana, amount, progress in self.history:
            month = month_of(datetime.fromisoformat(verified_at))
            amounts[(month, f"programmes_p{progress}")] += 1
            amounts[(month, f"fund_amount_{bidang_dana}")] += amount
            # A programme reported at 50% has used half its amount: the absorption figure.
            amounts[(month, f"fund_realised_{bidang_dana}")] += amount * progress / 100
            if previous is not None:
                _, _, old_bidang, old_amount, old_progress = previous
                amounts[(month, f"fund_amount_{old_bidang}")] -= old_amount
                amounts[(month, f"fund_realised_{old_bidang}")] -= old_amount * old_progress / 100
            previous = [verified_at, _, bidang_dana, amount, progress]
        return amounts


@dataclass
class Outcome:
    """What one event changes: the report's new facts, a programme's new state, the deltas."""

    facts: ReportFacts
    programme: Programme | None = None
    deltas: list[Delta] = field(default_factory=list)


def programme_key(rt_code: str, programme: str) -> str:
    return f"{rt_code}|{programme.strip().casefold()}"


def _content_deltas(month: str, content: ReportContent, sign: int) -> list[Delta]:
    return [
        Delta(month, f"kind_{content.kind}", sign),
        Delta(month, f"bidang_{content.bidang}", sign),
    ]


def _start_waiting(facts: ReportFacts, tier: str | None, since: datetime) -> list[Delta]:
    deltas = []
    if facts.waiting_tier is not None:
        deltas.append(Delta(NOW, f"waiting_{facts.waiting_tier}", -1))
    facts.waiting_tier = tier
    facts.waiting_since = since.isoformat() if tier is not None else None
    if tier is not None:
        deltas.append(Delta(NOW, f"waiting_{tier}", 1))
    return deltas


def _decision(facts: ReportFacts, tier: Tier, outcome: str, decided_at: datetime) -> list[Delta]:
    month = month_of(decided_at)
    deltas = [Delta(month, f"{outcome}_{tier}", 1)]
    if facts.waiting_tier == tier and facts.waiting_since is not None:
        hours = (decided_at - datetime.fromisoformat(facts.waiting_since)).total_seconds() / 3600
        deltas.append(Delta(month, f"decided_{tier}_b{decision_bucket(max(hours, 0.0))}", 1))
    return deltas


def _fund(
    envelope: Envelope, data: ReportVerified, before: Programme | None
) -> tuple[Programme | None, list[Delta]]:
    fund = data.content.fund
    if data.content.kind is not ReportKind.PROGRES_DANA or fund is None:
        return None, []
    after = Programme(data.wilayah.rt_code, fund.programme, list(before.history) if before else [])
    entry = [
        data.verified_at.isoformat(),
        str(envelope.event_id),
        fund.bidang_dana.value,
        fund.amount_rupiah,
        fund.progress_percent,
    ]
    after.history.append(entry)
    after.history.sort(key=lambda h: (datetime.fromisoformat(h[0]), h[1]))
    change = after.monthly()
    change.subtract(before.monthly() if before else Counter())
    deltas = [Delta(month, name, amount) for (month, name), amount in change.items() if amount]
    return after, deltas


def new_facts(envelope: Envelope) -> ReportFacts:
    data = envelope.data
    assert isinstance(data, _REPORT_EVENTS)
    return ReportFacts(report_id=str(data.report_id), rt_code=data.wilayah.rt_code)


def fold(
    facts: ReportFacts, envelope: Envelope, programme: Programme | None = None
) -> Outcome | None:
    """Apply one event of the report to its facts; None when it was applied before.

    Within a report, events arrive in stream order, so a version at or below the last applied
    one is a redelivery or a replay of something already counted. `programme` is the current
    state of the programme a fund-progress report names, when the event verifies one.
    """
    if envelope.stream_version <= facts.version:
        return None
    facts = replace(facts, version=envelope.stream_version)
    data = envelope.data
    out = Outcome(facts)
    if isinstance(data, ReportSubmitted):
        month = month_of(envelope.occurred_at)
        facts.kind, facts.bidang, facts.submitted_month = (
            data.content.kind,
            data.content.bidang,
            month,
        )
        facts.submitted_at = envelope.occurred_at.isoformat()
        out.deltas = [Delta(month, "reports", 1), *_content_deltas(month, data.content, 1)]
        out.deltas += _start_waiting(facts, Tier.KELURAHAN, envelope.occurred_at)
    elif isinstance(data, ReportRevised):
        if facts.submitted_month is not None and facts.kind and facts.bidang:
            month = facts.submitted_month
            out.deltas = [
                Delta(month, f"kind_{facts.kind}", -1),
                Delta(month, f"bidang_{facts.bidang}", -1),
                *_content_deltas(month, data.content, 1),
            ]
        facts.kind, facts.bidang = data.content.kind, data.content.bidang
        out.deltas += _start_waiting(facts, Tier.KELURAHAN, envelope.occurred_at)
    elif isinstance(data, ReportApproved):
        out.deltas = _decision(facts, data.tier, "approved", data.decided_at)
        out.deltas += _start_waiting(facts, data.next_tier, data.decided_at)
    elif isinstance(data, ReportRejected):
        out.deltas = _decision(facts, data.tier, "rejected", data.decided_at)
        out.deltas += _start_waiting(facts, None, data.decided_at)
    elif isinstance(data, ReportVerified):
        month = month_of(data.verified_at)
        facts.verified_month = month
        out.deltas = _start_waiting(facts, None, data.verified_at)
        out.deltas += [
            Delta(month, "verified", 1),
            Delta(month, "verified_counting", 1 if data.counts_for_performance else 0),
            Delta(month, f"verified_bidang_{data.content.bidang}", 1),
        ]
        out.programme, fund_deltas = _fund(envelope, data, programme)
        out.deltas += fund_deltas
    elif isinstance(data, VerificationOverdue):
        out.deltas = [Delta(month_of(data.detected_at), f"overdue_{data.tier}", 1)]
    return out


_REPORT_EVENTS = (
    ReportSubmitted,
    ReportRevised,
    ReportApproved,
    ReportRejected,
    ReportVerified,
    VerificationOverdue,
)


def verified_programme(envelope: Envelope) -> str | None:
    """The programme key a verified fund-progress report updates, if it is one."""
    data = envelope.data
    if isinstance(data, ReportVerified) and data.content.fund is not None:
        return programme_key(data.wilayah.rt_code, data.content.fund.programme)
    return None


def area_labels(path: WilayahPath) -> dict[str, dict[str, str]]:
    """For each level, the area's code and name and the codes of the areas above it."""
    kota = {"kota_code": path.kota_code}
    kecamatan = {**kota, "kecamatan_code": path.kecamatan_code}
    kelurahan = {**kecamatan, "kelurahan_code": path.kelurahan_code}
    return {
        "kota": {"code": path.kota_code, "name": path.kota_name},
        "kecamatan": {**kota, "code": path.kecamatan_code, "name": path.kecamatan_name},
        "kelurahan": {**kecamatan, "code": path.kelurahan_code, "name": path.kelurahan_name},
        "rt": {
            **kelurahan,
            "code": path.rt_code,
            "name": f"RT {path.rt_code.rsplit('/', 1)[1]} {path.kelurahan_name}",
        },
    }


def is_report_event(envelope: Envelope) -> bool:
    return isinstance(envelope.data, _REPORT_EVENTS)


def wilayah_of(envelope: Envelope) -> WilayahPath:
    data = envelope.data
    assert isinstance(data, _REPORT_EVENTS)
    return data.wilayah
