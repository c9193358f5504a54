"""A verifier's own decisions (`GET /v1/verification/decisions`): one entry per approval or
rejection, in a list of the verifier's own (`decisions.<subject>`), month by month of the
decision (WIB), newest first (`partitions`).

The decider is the event's `verifier.subject`: the token's `sub` that decided (the envelope's
actor says the same). Each entry carries the report as it stands now (title, status), so every
refresh of a report writes its decisions again; a report has a handful.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sipokat.events.catalogue import ReportApproved, ReportRejected, ReportRevised, ReportSubmitted
from sipokat.events.envelope import Envelope
from sipokat.events.store.base import Document, ViewStore, ViewTransaction
from sipokat.verification.domain import Report
from sipokat.verification.queries import partitions
from sipokat.verification.queries.partitions import DECIDED, Period, Scan

HIDDEN = (partitions.KEY, "rt", "decider", "month")


def base(subject: str) -> str:
    return f"decisions.{subject}"


def entries(state: Report, events: list[Envelope]) -> list[tuple[str, str, Document]]:
    """(decider, key, entry) of every decision in the report's stream."""
    found = []
    round_ = 0
    where = state.wilayah
    for envelope in events[: state.version]:
        data = envelope.data
        if isinstance(data, ReportSubmitted | ReportRevised):
            round_ += 1
        if not isinstance(data, ReportApproved | ReportRejected):
            continue
        rejected = isinstance(data, ReportRejected)
        key = f"{partitions.newest_first(data.decided_at)}|{envelope.event_id}"
        found.append(
            (
                data.verifier.subject,
                key,
                {
                    "decision_id": str(envelope.event_id),
                    "report_id": str(state.report_id),
                    "decision": "reject" if rejected else "approve",
                    "tier": str(data.tier),
                    "reason_code": str(data.reason_code)
                    if isinstance(data, ReportRejected)
                    else None,
                    "note": data.note or None,
                    "counts_for_performance": data.counts_for_performance
                    if isinstance(data, ReportApproved)
                    else None,
                    "decided_at": data.decided_at.isoformat(),
                    "round": round_,
                    "title": state.content.title,
                    "kind": str(state.content.kind),
                    "bidang": str(state.content.bidang),
                    "rt": where.rt_code,
                    "rt_code": where.rt_code,
                    "kelurahan_name": where.kelurahan_name,
                    "status": str(state.status),
                    "decider": data.verifier.subject,
                },
            )
        )
    return found


async def write(tx: ViewTransaction, state: Report, events: list[Envelope]) -> None:
    for subject, key, doc in entries(state, events):
        await partitions.put_entry(tx, DECIDED, base(subject), key, doc)


@dataclass(frozen=True)
class DecisionFilter:
    decision: Literal["approve", "reject"] | None = None
    rt: str | None = None
    q: str | None = None
    period: Period = field(default_factory=Period)

    def where(self) -> dict[str, Any]:
        where: dict[str, Any] = {}
        if self.decision is not None:
            where["decision"] = self.decision
        if self.rt is not None:
            where["rt"] = self.rt
        return where

    def keep(self) -> Callable[[Document], bool]:
        """The text, in the title or the RT code ("RT 007" finds 007), ignoring case."""
        if not self.q:
            return lambda _entry: True
        needle = self.q.casefold().removeprefix("rt ").strip()
        return lambda e: needle in e["title"].casefold() or needle in e["rt_code"].casefold()

    def scan(self, views: ViewStore, subject: str, *, after: str = "") -> Scan:
        return Scan(views, DECIDED, [base(subject)], self.where(), self.period, after, self.keep())
