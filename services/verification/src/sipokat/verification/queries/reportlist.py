"""The report list (`GET /v1/reports`, its CSV and map): one entry per report, kept twice, month
by month (`partitions`): by the WIB month of its first submission (the list's own order, newest
submission first) and by the month of its activity date (what analytics' figures count a period
by: a leader's "reports behind this bar"), each per kota.

An entry is the report's summary (`reportviews.ReportSummary`), the fields a filter or an export
needs (area codes, description, location, each tier's latest decision time, what happened to it
at which tier in which WIB month), and its key.

What happened (`happened`, the `event` filter): each approval, rejection and overdue notice as
`approved_<tier>|<month>`, `rejected_<tier>|<month>`, `overdue_<tier>|<month>`, the WIB month it
happened in; the dashboard's decisions and overdue figures count those events by that month.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sipokat.events.catalogue import (
    Bidang,
    ReportApproved,
    ReportKind,
    ReportRejected,
    VerificationOverdue,
)
from sipokat.events.envelope import Envelope, Role
from sipokat.events.store.base import Document, ViewStore, ViewTransaction
from sipokat.verification.domain import WIB, Report
from sipokat.verification.queries import partitions
from sipokat.verification.queries.partitions import ACTIVITY, SUBMITTED, Axis, Period, Scan

AREAS = ("kota", "kecamatan", "kelurahan", "rt")  # from the widest
# The area a role's list covers: the jurisdiction `covers` judges a single report by.
LIST_AREA: dict[Role, str] = {
    Role.KETUA_RT: "rt",
    Role.LURAH: "kelurahan",
    Role.CAMAT: "kecamatan",
    Role.PEMKOT: "kota",
}
AXES = {axis.name: axis for axis in (SUBMITTED, ACTIVITY)}
# Kept in an entry for filters and exports, not shown in the list's JSON.
HIDDEN = (
    partitions.KEY,
    *AREAS,
    "description",
    "location",
    "has_location",
    "decided_at",
    "happened",
)
# What the `event` filter names: a decision or an overdue notice at one tier, or overdue at any.
EventName = Literal[
    "approved_kelurahan",
    "approved_kecamatan",
    "approved_kota",
    "rejected_kelurahan",
    "rejected_kecamatan",
    "rejected_kota",
    "overdue_kelurahan",
    "overdue_kecamatan",
    "overdue_kota",
    "overdue",
]
ANY_OVERDUE = "overdue"


def base(axis: Axis, kota: str) -> str:
    return f"report_list.{axis.name}.{kota}"


def decision_times(events: list[Envelope]) -> dict[str, str]:
    """Each tier's latest decision (approval or rejection), by tier."""
    times: dict[str, str] = {}
    for envelope in events:
        data = envelope.data
        if isinstance(data, ReportApproved | ReportRejected):
            times[str(data.tier)] = data.decided_at.isoformat()
    return times


def happenings(events: list[Envelope]) -> list[str]:
    """`<what>_<tier>|<WIB month>` for each decision and overdue notice, in stream order."""
    found: list[str] = []
    for envelope in events:
        data = envelope.data
        if isinstance(data, ReportApproved | ReportRejected):
            what = "approved" if isinstance(data, ReportApproved) else "rejected"
            found.append(f"{what}_{data.tier}|{data.decided_at.astimezone(WIB):%Y-%m}")
        elif isinstance(data, VerificationOverdue):
            found.append(f"overdue_{data.tier}|{data.detected_at.astimezone(WIB):%Y-%m}")
    return found


def entry(summary: Document, state: Report, events: list[Envelope]) -> Document:
    where = state.wilayah
    location = state.content.location
    return {
        **summary,
        "rt": where.rt_code,
        "kelurahan": where.kelurahan_code,
        "kecamatan": where.kecamatan_code,
        "kota": where.kota_code,
        "description": state.content.description,
        "location": location.model_dump() if location else None,
        "has_location": location is not None,
        "decided_at": decision_times(events[: state.version]),
        "happened": happenings(events[: state.version]),
    }


def keys(state: Report, events: list[Envelope]) -> dict[Axis, str]:
    submitted = partitions.newest_first(events[0].occurred_at)
    activity = partitions.day_first(state.content.activity_date.isoformat())
    return {
        SUBMITTED: f"{submitted}|{state.report_id}",
        ACTIVITY: f"{activity}|{submitted}|{state.report_id}",
    }


async def write(
    tx: ViewTransaction,
    summary: Document,
    state: Report,
    events: list[Envelope],
    before: list[list[str]] | None,
) -> list[list[str]]:
    """Put the report's entries and delete those a revision moved (a new activity month);
    answers where they now lie, [[collection, key], ...], for the next write's `before`."""
    doc = entry(summary, state, events)
    placed = [
        list(await partitions.put_entry(tx, axis, base(axis, state.wilayah.kota_code), key, doc))
        for axis, key in keys(state, events).items()
    ]
    for old in before or []:
        if old not in placed:
            await tx.delete(old[0], old[1])
    return placed


@dataclass(frozen=True)
class ListFilter:
    """What a caller asks the list for. `areas` holds the caller's own area and those asked
    for, by level (all must hold); the rest narrow it down."""

    areas: dict[str, str] = field(default_factory=dict)
    status: str | None = None
    kind: ReportKind | None = None
    bidang: Bidang | None = None
    has_location: bool | None = None
    counts_for_performance: bool | None = None
    q: str | None = None
    period: Period = field(default_factory=Period)
    axis: Axis = SUBMITTED
    # A decision or overdue notice (`EVENTS`, or `ANY_OVERDUE`) the report had, and the months
    # it happened in (then `period` is open: a report is submitted before anything happens to it).
    event: str | None = None
    event_period: Period = field(default_factory=Period)

    def where(self) -> dict[str, Any]:
        where: dict[str, Any] = dict(self.areas)
        for name, value in (("status", self.status), ("kind", self.kind), ("bidang", self.bidang)):
            if value is not None:
                where[name] = str(value)
        for flag, asked in (
            ("has_location", self.has_location),
            ("counts_for_performance", self.counts_for_performance),
        ):
            if asked is not None:
                where[flag] = asked
        return where

    def keep(self) -> Callable[[Document], bool]:
        """The in-memory part: the text, in the title or the description, ignoring case."""
        needle = self.q.casefold() if self.q else None
        event, months = self.event, self.event_period

        def happened(entry: Document) -> bool:
            for item in entry.get("happened", []):
                name, month = item.split("|")
                if months.covers(month) and (
                    name == event or (event == ANY_OVERDUE and name.startswith("overdue_"))
                ):
                    return True
            return False

        def keep(e: Document) -> bool:
            title, description = e["title"].casefold(), e["description"].casefold()
            if needle and needle not in title and needle not in description:
                return False
            return event is None or happened(e)

        return keep

    def scan(self, views: ViewStore, *, after: str = "") -> Scan:
        kota = next((code[:5] for code in self.areas.values()), None)
        return Scan(
            views,
            self.axis,
            [base(self.axis, kota)] if kota else None,
            self.where(),
            self.period,
            after,
            self.keep(),
        )
