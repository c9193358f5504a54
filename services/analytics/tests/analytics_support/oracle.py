"""An independent computation of the figures, straight from a list of events.

Written without the fold's counters: it groups the events by report, replays each report's
history, and answers each question directly (which content did the report end with, how long did
each tier take, which programme report was the latest at the end of a month, ...).
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

    def by_bidang(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for stream, _, event in self.of(ReportSubmitted):
            if self._in(month_of(event.occurred_at)):
                last = [e for e in stream if isinstance(e.data, ReportSubmitted | ReportRevised)]
                counts[last[-1].data.content.bidang] += 1  # type: ignore[attr-defined]
        return counts

    def active(self) -> tuple[set[str], set[str]]:
        reporting = {
            data.wilayah.rt_code
            for _, data, event in self.of(ReportSubmitted)
            if self._in(month_of(event.occurred_at))
        }
        verified = {
            data.wilayah.rt_code
            for _, data, _ in self.of(ReportVerified)
            if self._in(month_of(data.verified_at))
        }
        return reporting, verified

    def rt_performance(self) -> dict[tuple[str, str], tuple[int, int]]:
        rows: dict[tuple[str, str], tuple[int, int]] = {}
        for _, data, _ in self.of(ReportVerified):
            key = (data.wilayah.rt_code, month_of(data.verified_at))
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
        (the latest verified report) at the period's end minus the state before it began."""
        programmes: dict[tuple[str, str], list[ReportVerified]] = defaultdict(list)
        progress: Counter[str] = Counter()
        for _, data, _ in self.of(ReportVerified):
            if data.content.fund is None:
                continue
            key = (data.wilayah.rt_code, data.content.fund.programme.casefold())
            programmes[key].append(data)
            if self._in(month_of(data.verified_at)):
                progress[f"programmes_p{data.content.fund.progress_percent}"] += 1
        figures: Counter[str] = Counter(progress)
        for reports in programmes.values():
            reports.sort(key=lambda r: r.verified_at)
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

    @staticmethod
    def _state(
        reports: list[ReportVerified], month: str | None, through: bool
    ) -> ReportVerified | None:
        """The latest report by the end of `month` (through) or before it began (not through)."""
        if month is None:
            return reports[-1] if through else None
        chosen = None
        for report in reports:
            m = month_of(report.verified_at)
            if m < month or (through and m == month):
                chosen = report
        return chosen
