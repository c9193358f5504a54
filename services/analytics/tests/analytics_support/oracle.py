"""An independent computation of the figures, straight from a list of events.

Written without the fold's counters: it groups the events by report, replays each report's
history, and answers each question directly (which content did the report end with, how long did
each tier take, how far each programme had got by the end of a month, ...). The work counts in
the month of its activity date, the verifiers' decisions in the month they were taken.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sipokat.analytics.domain import DECISION_BUCKETS_HOURS, month_of
from sipokat.events.catalogue import (
    ReportApproved,
    ReportContent,
    ReportRejected,
    ReportRevised,
    ReportSubmitted,
    ReportVerified,
    Tier,
    VerificationOverdue,
)
from sipokat.events.envelope import Envelope


@dataclass
class Oracle:
    events: list[Envelope]
    inside: Callable[[str], bool]  # is this RT code in the area asked about?
    first: str | None = None
    last: str | None = None

    def _in(self, month: str) -> bool:
        return (self.first is None or month >= self.first) and (
            self.last is None or month <= self.last
        )

    def reports(self) -> dict[str, list[Envelope]]:
        unique = {e.event_id: e for e in self.events}
        grouped: dict[str, list[Envelope]] = defaultdict(list)
        for event in unique.values():
            if self.inside(event.data.wilayah.rt_code):  # type: ignore[attr-defined]
                grouped[event.stream_id].append(event)
        return {k: sorted(v, key=lambda e: e.stream_version) for k, v in grouped.items()}

    def of(self, kind: type[Any]) -> Iterable[tuple[list[Envelope], Any, Envelope]]:
        for stream in self.reports().values():
            for event in stream:
                if isinstance(event.data, kind):
                    yield stream, event.data, event

    # --------------------------------------------------------------- figures

    @staticmethod
    def activity_month(content: ReportContent) -> str:
        return content.activity_date.isoformat()[:7]

    @staticmethod
    def final_content(stream: list[Envelope]) -> ReportContent:
        last = [e for e in stream if isinstance(e.data, ReportSubmitted | ReportRevised)]
        return last[-1].data.content  # type: ignore[attr-defined, no-any-return]

    def by_bidang(self) -> Counter[str]:
        """Reports by the bidang they ended with, in the month of the activity they ended with."""
        counts: Counter[str] = Counter()
        for stream, _, _ in self.of(ReportSubmitted):
            content = self.final_content(stream)
            if self._in(self.activity_month(content)):
                counts[content.bidang] += 1
        return counts

    def by_month(self) -> dict[str, tuple[int, int, int]]:
        """Per month: reports by activity date, reports by upload, verified by activity date."""
        reports: Counter[str] = Counter()
        uploaded: Counter[str] = Counter()
        verified: Counter[str] = Counter()
        for stream, _, event in self.of(ReportSubmitted):
            reports[self.activity_month(self.final_content(stream))] += 1
            uploaded[month_of(event.occurred_at)] += 1
        for _, data, _ in self.of(ReportVerified):
            verified[self.activity_month(data.content)] += 1
        months = {m for m in reports | uploaded | verified if self._in(m)}
        return {m: (reports[m], uploaded[m], verified[m]) for m in months}

    def active(self) -> tuple[set[str], set[str]]:
        reporting = {
            data.wilayah.rt_code
            for stream, data, _ in self.of(ReportSubmitted)
            if self._in(self.activity_month(self.final_content(stream)))
        }
        verified = {
            data.wilayah.rt_code
            for _, data, _ in self.of(ReportVerified)
            if self._in(self.activity_month(data.content))
        }
        return reporting, verified

    def rt_performance(self) -> dict[tuple[str, str], tuple[int, int]]:
        rows: dict[tuple[str, str], tuple[int, int]] = {}
        for _, data, _ in self.of(ReportVerified):
            key = (data.wilayah.rt_code, self.activity_month(data.content))
            if self._in(key[1]):
                verified, counting = rows.get(key, (0, 0))
                rows[key] = (verified + 1, counting + int(data.counts_for_performance))
        return rows

    def decisions(self, tier: Tier) -> tuple[int, int, list[float]]:
        approved = rejected = 0
        hours: list[float] = []
        for stream, data, event in self.of(ReportApproved | ReportRejected):
            if data.tier is not tier or not self._in(month_of(data.decided_at)):
                continue
            if isinstance(data, ReportApproved):
                approved += 1
            else:
                rejected += 1
            started = self._tier_started(stream[: stream.index(event)], tier)
            if started is not None:
                hours.append((data.decided_at - started).total_seconds() / 3600)
        return approved, rejected, hours

    @staticmethod
    def _tier_started(before: list[Envelope], tier: Tier) -> datetime | None:
        for event in reversed(before):
            data = event.data
            if isinstance(data, ReportSubmitted | ReportRevised):
                return event.occurred_at if tier is Tier.KELURAHAN else None
            if isinstance(data, ReportApproved):
                return data.decided_at if data.next_tier is tier else None
            if isinstance(data, ReportRejected | ReportVerified):
                return None
        return None

    @staticmethod
    def quantile(hours: list[float], q: float) -> float | None:
        if not hours:
            return None
        value = sorted(hours)[max(1, math.ceil(q * len(hours))) - 1]
        index = bisect.bisect_left(DECISION_BUCKETS_HOURS, value)
        return DECISION_BUCKETS_HOURS[index] if index < len(DECISION_BUCKETS_HOURS) else None

    def waiting(self) -> Counter[str]:
        waiting: Counter[str] = Counter()
        for stream in self.reports().values():
            tier: str | None = None
            for event in stream:
                data = event.data
                if isinstance(data, ReportSubmitted | ReportRevised):
                    tier = Tier.KELURAHAN
                elif isinstance(data, ReportApproved):
                    tier = data.next_tier
                elif isinstance(data, ReportRejected | ReportVerified):
                    tier = None
            if tier is not None:
                waiting[tier] += 1
        return waiting

    def overdue(self, tier: Tier) -> int:
        return sum(
            1
            for _, data, _ in self.of(VerificationOverdue)
            if data.tier is tier and self._in(month_of(data.detected_at))
        )

    def funds(self) -> dict[str, float]:
        """Realised and programme amounts by bidang_dana in the period: the programmes' state
        (the furthest verified progress, by activity date) at the period's end minus the state
        before it began."""
        programmes: dict[tuple[str, str], list[tuple[ReportVerified, str]]] = defaultdict(list)
        progress: Counter[str] = Counter()
        for _, data, event in self.of(ReportVerified):
            if data.content.fund is None:
                continue
            key = (data.wilayah.rt_code, data.content.fund.programme.casefold())
            programmes[key].append((data, str(event.event_id)))
            if self._in(self.activity_month(data.content)):
                progress[f"programmes_p{data.content.fund.progress_percent}"] += 1
        figures: Counter[str] = Counter(progress)
        for reports in programmes.values():
            for sign, state in (
                (1, self._state(reports, self.last, True)),
                (-1, self._state(reports, self.first, False)),
            ):
                if state is not None and state.content.fund is not None:
                    fund = state.content.fund
                    figures[f"fund_amount_{fund.bidang_dana}"] += sign * fund.amount_rupiah
                    figures[f"fund_realised_{fund.bidang_dana}"] += (
                        sign * fund.amount_rupiah * fund.progress_percent / 100
                    )
        return dict(figures)

    @classmethod
    def _state(
        cls, reports: list[tuple[ReportVerified, str]], month: str | None, through: bool
    ) -> ReportVerified | None:
        """The furthest progress reported for work done by the end of `month` (through) or
        before it began (not through); at one step, the latest work, then verification."""

        def done_by_then(report: ReportVerified) -> bool:
            if month is None:
                return through
            done = cls.activity_month(report.content)
            return done < month or (through and done == month)

        done = [(report, event_id) for report, event_id in reports if done_by_then(report)]
        if not done:
            return None
        return max(
            done,
            key=lambda r: (
                r[0].content.fund.progress_percent,  # type: ignore[union-attr]
                r[0].content.activity_date,
                r[0].verified_at,
                r[1],
            ),
        )[0]
