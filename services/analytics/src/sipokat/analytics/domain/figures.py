"""The figures leaders read, computed from summed counters (pure arithmetic, no I/O)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sipokat.analytics.domain.counters import DECISION_BUCKETS_HOURS
from sipokat.events.catalogue import Bidang, BidangDana, ReportKind, Tier

# The PRODAMAS guideline: how a community fund should be split.
FUND_GUIDELINE_PERCENT = {
    BidangDana.INFRASTRUKTUR: 60,
    BidangDana.SOSIAL: 20,
    BidangDana.EKONOMI: 20,
}
PROGRESS_STEPS = (0, 50, 100)

Counters = Mapping[str, float]


def total(rows: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """The numeric fields of many counter documents, added up."""
    summed: dict[str, float] = defaultdict(float)
    for row in rows:
        for name, value in row.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                summed[name] += value
    return summed


def percent(part: float, whole: float) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def with_shares(
    counts: Iterable[Mapping[str, Any]], field: str = "reports"
) -> list[dict[str, Any]]:
    """Each row with `share_percent`: its count over the sum of all rows (one decimal)."""
    rows = [dict(row) for row in counts]
    whole = sum(row[field] for row in rows)
    for row in rows:
        row["share_percent"] = percent(row[field], whole)
    return sorted(rows, key=lambda row: row[field], reverse=True)


def breakdown(counters: Counters) -> dict[str, Any]:
    """Reports by field (bidang) and by kind, with shares of the whole."""
    by_bidang = [
        {"bidang": b.value, "reports": int(counters.get(f"bidang_{b}", 0))} for b in Bidang
    ]
    by_kind = [{"kind": k.value, "reports": int(counters.get(f"kind_{k}", 0))} for k in ReportKind]
    return {
        "total_reports": int(counters.get("reports", 0)),
        "by_bidang": with_shares(by_bidang),
        "by_kind": with_shares(by_kind),
    }


def ranking(areas: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Areas ranked by reports per RT (raw counts mislead between areas of different size),
    with the raw rank beside it. Each area needs `reports` and `rt_total`."""
    rows = [dict(area) for area in areas]
    for row in rows:
        row["reports_per_rt"] = (
            round(row["reports"] / row["rt_total"], 3) if row["rt_total"] else 0.0
        )
    for rank, row in enumerate(sorted(rows, key=lambda r: (-r["reports"], r["code"])), 1):
        row["rank_raw"] = rank
    rows.sort(key=lambda r: (-r["reports_per_rt"], -r["reports"], r["code"]))
    for rank, row in enumerate(rows, 1):
        row["rank_per_rt"] = rank
    return rows


def active_rts(reporting: int, verified: int, rt_total: int) -> dict[str, Any]:
    return {
        "rt_total": rt_total,
        "rts_reporting": reporting,
        "rts_with_verified": verified,
        "active_rate_percent": percent(reporting, rt_total),
        "verified_rate_percent": percent(verified, rt_total),
    }


def quantile_hours(histogram: list[float], q: float) -> float | None:
    """The nearest-rank q-quantile of a decision-time histogram, as the upper bound (hours) of
    the bucket holding it; None when nothing was decided or it lies past the last bound."""
    n = sum(histogram)
    if n <= 0:
        return None
    rank = max(1, math.ceil(q * n))
    seen = 0.0
    for index, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return DECISION_BUCKETS_HOURS[index] if index < len(DECISION_BUCKETS_HOURS) else None
    return None


def histogram(counters: Counters, tier: Tier) -> list[float]:
    return [counters.get(f"decided_{tier}_b{i}", 0) for i in range(len(DECISION_BUCKETS_HOURS) + 1)]


def funnel(period: Counters, now: Counters) -> list[dict[str, Any]]:
    """Per tier: reports waiting now, decisions in the period, their rates and speed, overdue."""
    rows = []
    for tier in Tier:
        approved = int(period.get(f"approved_{tier}", 0))
        rejected = int(period.get(f"rejected_{tier}", 0))
        decided = approved + rejected
        hist = histogram(period, tier)
        rows.append(
            {
                "tier": tier.value,
                "waiting": int(now.get(f"waiting_{tier}", 0)),
                "approved": approved,
                "rejected": rejected,
                "approval_rate_percent": percent(approved, decided),
                "rejection_rate_percent": percent(rejected, decided),
                "median_hours": quantile_hours(hist, 0.5),
                "p90_hours": quantile_hours(hist, 0.9),
                "overdue": int(period.get(f"overdue_{tier}", 0)),
            }
        )
    return rows


def overdue_total(counters: Counters) -> int:
    return int(sum(counters.get(f"overdue_{tier}", 0) for tier in Tier))


def funds(counters: Counters, *, rt_total: int, months: int, per_rt_year: int) -> dict[str, Any]:
    """Verified fund use against the allocation for the period (per RT per year, pro rata)."""
    allocation = per_rt_year * rt_total * months / 12
    realised = sum(counters.get(f"fund_realised_{b}", 0) for b in BidangDana)
    amount = sum(counters.get(f"fund_amount_{b}", 0) for b in BidangDana)
    return {
        "allocation_rupiah": round(allocation),
        "realised_rupiah": round(realised),
        "absorption_percent": percent(realised, allocation),
        "programmes_by_progress": [
            {"progress_percent": p, "programmes": int(counters.get(f"programmes_p{p}", 0))}
            for p in PROGRESS_STEPS
        ],
        "split": [
            {
                "bidang_dana": b.value,
                "amount_rupiah": round(counters.get(f"fund_amount_{b}", 0)),
                "share_percent": percent(counters.get(f"fund_amount_{b}", 0), amount),
                "guideline_percent": FUND_GUIDELINE_PERCENT[b],
            }
            for b in BidangDana
        ],
    }
