"""The analytics fold: what each report event changes in the counters (pure, no I/O).

Every report has a facts document (its area, kind, bidang, months, the tier it waits at and
since when, the last stream version applied). Each event updates those facts and yields
`Delta`s: amounts to add to named counters of one month. The store adds each delta to the
report's RT, kelurahan, kecamatan and kota, so every figure can be read per month and per level
by summing counters; nothing needs the events again.

Months (`2026-03`) are those of what each counter is about. The work counts in the month of its
activity date (the report's `activity_date`, what a city's yearly evaluation counts): the report,
its kind and bidang, its verification and its fund progress. What verifiers do counts in the WIB
month they did it: a decision in the month it was taken, an overdue in the month it was detected.
The upload itself is counted too (`submitted`, in the WIB month it arrived). Gauges that are not
about a month (how many reports wait at each tier now) use the pseudo-month `NOW`.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import asdict, astuple, dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sipokat.events.catalogue import (
    ReportApproved,
    ReportContent,
    ReportEvent,
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


def day_month(day: date) -> str:
    """The month of a calendar date (an activity date is a local day already: no time zone)."""
    return f"{day.year:04d}-{day.month:02d}"


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
    # The month the report's counters are in (its activity date); None in facts stored before
    # it was recorded, whose counters are in `submitted_month`.
    activity_month: str | None = None
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


@dataclass(frozen=True)
class ProgressReport:
    """One verified progress report of a programme, as the programme's history keeps it."""

    activity_date: str  # ISO date
    verified_at: str  # ISO datetime
    event_id: str
    bidang_dana: str
    amount: float
    progress: int

    @classmethod
    def from_entry(cls, entry: list[Any]) -> ProgressReport:
        if len(entry) == 5:  # stored before activity dates were kept: the verification's day
            verified_at = entry[0]
            day = datetime.fromisoformat(verified_at).astimezone(WIB).date().isoformat()
            return cls(day, *entry)
        return cls(*entry)

    def to_entry(self) -> list[Any]:
        return list(astuple(self))

    @property
    def month(self) -> str:
        return self.activity_date[:7]

    @property
    def order(self) -> tuple[str, datetime, str]:
        """The order of the work: activity date, then verification, then the event id."""
        return self.activity_date, datetime.fromisoformat(self.verified_at), self.event_id

    @property
    def realised(self) -> float:
        # A programme reported at 50% has used half its amount: the absorption figure.
        return self.amount * self.progress / 100


@dataclass
class Programme:
    """A community-funded programme of one RT (PRODAMAS) and its verified progress reports.

    Its state is its furthest verified progress: a report at a lower step than one already
    verified (a 0% report approved after the 100% one) does not move it back; at the same step
    the later report by activity date (then verification time) holds, a corrected amount. The
    months get the state's changes in the order of the work (activity dates), so reports of one
    programme may be verified in any order and the months still get the same amounts.
    """

    rt_code: str
    programme: str
    # `ProgressReport.to_entry()` lists, in the order of the work
    history: list[list[Any]] = field(default_factory=list)

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Programme:
        return cls(**doc)

    def reports(self) -> list[ProgressReport]:
        return [ProgressReport.from_entry(entry) for entry in self.history]

    def add(self, report: ProgressReport) -> None:
        reports = [*self.reports(), report]
        reports.sort(key=lambda r: r.order)
        self.history = [r.to_entry() for r in reports]

    def monthly(self) -> defaultdict[tuple[str, str], float]:
        """What the programme adds to each month's fund counters: the change of its state."""
        amounts: defaultdict[tuple[str, str], float] = defaultdict(float)
        state: ProgressReport | None = None
        for report in self.reports():
            month = report.month
            amounts[(month, f"programmes_p{report.progress}")] += 1
            # Walked in the order of the work, so at an equal step the later report holds.
            if state is not None and report.progress < state.progress:
                continue
            if state is not None:
                amounts[(month, f"fund_amount_{state.bidang_dana}")] -= state.amount
                amounts[(month, f"fund_realised_{state.bidang_dana}")] -= state.realised
            amounts[(month, f"fund_amount_{report.bidang_dana}")] += report.amount
            amounts[(month, f"fund_realised_{report.bidang_dana}")] += report.realised
            state = report
        return amounts


@dataclass
class Outcome:
    """What one event changes: the report's new facts, a programme's new state, the deltas."""

    facts: ReportFacts
    programme: Programme | None = None
    deltas: list[Delta] = field(default_factory=list)


def programme_key(rt_code: str, programme: str) -> str:
    return f"{rt_code}|{programme.strip().casefold()}"


def _report_deltas(month: str, content: ReportContent, sign: int) -> list[Delta]:
    return [
        Delta(month, "reports", sign),
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
    after.add(
        ProgressReport(
            data.content.activity_date.isoformat(),
            data.verified_at.isoformat(),
            str(envelope.event_id),
            fund.bidang_dana.value,
            fund.amount_rupiah,
            fund.progress_percent,
        )
    )
    change = after.monthly()
    for key, amount in (before.monthly() if before else {}).items():
        change[key] -= amount
    deltas = [Delta(month, name, amount) for (month, name), amount in change.items() if amount]
    return after, deltas


def new_facts(envelope: Envelope) -> ReportFacts:
    data = envelope.data
    assert isinstance(data, ReportEvent)
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
        month = day_month(data.content.activity_date)
        facts.kind, facts.bidang = data.content.kind, data.content.bidang
        facts.activity_month = month
        facts.submitted_month = month_of(envelope.occurred_at)
        facts.submitted_at = envelope.occurred_at.isoformat()
        out.deltas = [
            Delta(facts.submitted_month, "submitted", 1),
            *_report_deltas(month, data.content, 1),
        ]
        out.deltas += _start_waiting(facts, Tier.KELURAHAN, envelope.occurred_at)
    elif isinstance(data, ReportRevised):
        # The report moves to its new activity month, kind and bidang (a rejection for
        # `wrong_field` or a wrong date is followed by a revision that corrects it).
        counted_in = facts.activity_month or facts.submitted_month
        if counted_in is not None and facts.kind and facts.bidang:
            out.deltas = [
                Delta(counted_in, "reports", -1),
                Delta(counted_in, f"kind_{facts.kind}", -1),
                Delta(counted_in, f"bidang_{facts.bidang}", -1),
                *_report_deltas(day_month(data.content.activity_date), data.content, 1),
            ]
            facts.activity_month = day_month(data.content.activity_date)
        facts.kind, facts.bidang = data.content.kind, data.content.bidang
        out.deltas += _start_waiting(facts, Tier.KELURAHAN, envelope.occurred_at)
    elif isinstance(data, ReportApproved):
        out.deltas = _decision(facts, data.tier, "approved", data.decided_at)
        out.deltas += _start_waiting(facts, data.next_tier, data.decided_at)
    elif isinstance(data, ReportRejected):
        out.deltas = _decision(facts, data.tier, "rejected", data.decided_at)
        out.deltas += _start_waiting(facts, None, data.decided_at)
    elif isinstance(data, ReportVerified):
        month = day_month(data.content.activity_date)  # the verified work's month
        facts.verified_month = month_of(data.verified_at)
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
    return isinstance(envelope.data, ReportEvent)


def wilayah_of(envelope: Envelope) -> WilayahPath:
    data = envelope.data
    assert isinstance(data, ReportEvent)
    return data.wilayah
