"""The read side: what the analytics views hold, and every read of them.

The views (folded from events by `handlers`):

- `analytics_reports`: one facts document per report (see `domain.ReportFacts`);
- `analytics_programmes`: the verified progress reports of each RT's funded programme;
- `analytics_<level>` for kota, kecamatan, kelurahan and rt: one counter document per area and
  month, keyed `<code>|<month>`, carrying the area's name and the codes above it so `find` can
  select an area's children by equality;
- `analytics_open311`: one Open311 service request per verified report, keyed by report id
  (see `domain.open311.request_document`);
- `analytics_meta`: the rebuild's marker and the fold version.

Each read model's answer for an area and a period is a `Result`: the JSON body and the table a
CSV export writes. A period selects counters by their month: the work (reports, verified
reports, funds) by its activity date, the verifiers' decisions and overdue notices by when they
happened (see `domain`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sipokat.analytics.domain import NOW, figures
from sipokat.analytics.domain.areas import (
    Area,
    Period,
    areas_at,
    months_between,
    rt_total,
)
from sipokat.analytics.domain.open311 import Search, public_request, select
from sipokat.events import logrebuild
from sipokat.events.catalogue import Tier
from sipokat.events.foldversion import FoldedViews
from sipokat.events.store.base import Document, ViewStore
from sipokat.wilayah import Directory

FACTS = "analytics_reports"
PROGRAMMES = "analytics_programmes"
OPEN311 = "analytics_open311"
META = "analytics_meta"
# The version of the fold (`sipokat.events.foldversion`): bump it with any change to what the
# fold writes, and every deployment's views are rebuilt when it starts. 2: months by activity
# date, fund progress only forward (issue 19).
FOLD_VERSION = 2
FOLDED = FoldedViews("analytics", META, FOLD_VERSION)


def aggregate_collection(level: str) -> str:
    return f"analytics_{level}"


def aggregate_key(code: str, month: str) -> str:
    return f"{code}|{month}"


async def rebuild_status(views: ViewStore) -> Document | None:
    """The last (or running) rebuild's report, as the shared log rebuild marks it."""
    return await logrebuild.rebuild_status(views, FOLDED)


# `find` needs a limit; the counter documents of one area are bounded by its RTs times months.
_ALL = 10_000_000
# Said in every row keyed by month, so a CSV export read on its own says it too.
MONTH_BY = {"month_by": "activity_date"}


@dataclass
class Result:
    body: dict[str, Any]
    table: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Reader:
    views: ViewStore
    directory: Directory
    fund_per_rt_year: int

    async def _own(self, area: Area) -> list[Document]:
        """The area's own counter documents, one per month (every kota's for no area)."""
        level = area.level or "kota"
        return await self.views.find(aggregate_collection(level), area.itself(), limit=_ALL)

    async def _inside(self, level: str, area: Area) -> list[Document]:
        return await self.views.find(aggregate_collection(level), area.below(), limit=_ALL)

    @staticmethod
    def _in(docs: Iterable[Document], period: Period) -> list[Document]:
        return [d for d in docs if d["month"] != NOW and period.covers(d["month"])]

    async def totals(self, area: Area, period: Period) -> dict[str, float]:
        return figures.total(self._in(await self._own(area), period))

    def _scope(self, area: Area, period: Period) -> dict[str, Any]:
        return {"wilayah": area.code, "level": area.level, "from": period.first, "to": period.last}

    # ------------------------------------------------------------------ read models

    async def summary(self, area: Area, period: Period) -> Result:
        body = figures.breakdown(await self.totals(area, period))
        table = [
            {"dimension": "bidang", "value": r["bidang"], **_counts(r)} for r in body["by_bidang"]
        ] + [{"dimension": "kind", "value": r["kind"], **_counts(r)} for r in body["by_kind"]]
        return Result({**self._scope(area, period), **body}, table)

    async def ranking(self, level: str, area: Area, period: Period) -> Result:
        reports: dict[str, float] = defaultdict(float)
        docs = self._in(await self._inside(level, area), period)
        if area.level == level:
            docs = self._in(await self._own(area), period)
        for doc in docs:
            reports[doc["code"]] += doc.get("reports", 0)
        rows = figures.ranking(
            {
                "code": code,
                "name": name,
                "reports": int(reports.get(code, 0)),
                "rt_total": rt_total(Area(level, code), self.directory),
            }
            for code, name in areas_at(level, area, self.directory)
        )
        return Result({**self._scope(area, period), "by": level, "ranking": rows}, rows)

    async def _rt_docs(self, area: Area, period: Period) -> list[Document]:
        if area.level == "rt":
            return self._in(await self._own(area), period)
        return self._in(await self._inside("rt", area), period)

    async def active_rts(self, area: Area, period: Period) -> Result:
        docs = await self._rt_docs(area, period)
        reporting = {d["code"] for d in docs if d.get("reports", 0) > 0}
        verified = {d["code"] for d in docs if d.get("verified", 0) > 0}
        overall = figures.active_rts(len(reporting), len(verified), rt_total(area, self.directory))
        rows = []
        if area.level != "rt":
            for code, name in areas_at("kelurahan", area, self.directory):
                inside = Area("kelurahan", code)
                rows.append(
                    {
                        "code": code,
                        "name": name,
                        **figures.active_rts(
                            sum(inside.contains(Area("rt", rt)) for rt in reporting),
                            sum(inside.contains(Area("rt", rt)) for rt in verified),
                            rt_total(inside, self.directory),
                        ),
                    }
                )
        body = {**self._scope(area, period), **overall, "by_kelurahan": rows}
        return Result(body, rows or [overall])

    async def verification(self, area: Area, period: Period) -> Result:
        own = await self._own(area)
        now = figures.total(d for d in own if d["month"] == NOW)
        tiers = figures.funnel(figures.total(self._in(own, period)), now)
        overdue: dict[str, list[dict[str, Any]]] = {}
        for level in ("kecamatan", "kelurahan"):
            per_area: dict[str, dict[str, Any]] = {}
            for doc in self._in(await self._inside(level, area), period):
                row = per_area.setdefault(
                    doc["code"], {"code": doc["code"], "name": doc["name"], "overdue": 0}
                )
                for tier in Tier:
                    row[f"overdue_{tier}"] = row.get(f"overdue_{tier}", 0) + int(
                        doc.get(f"overdue_{tier}", 0)
                    )
                row["overdue"] += figures.overdue_total(doc)
            overdue[level] = sorted(
                (r for r in per_area.values() if r["overdue"]), key=lambda r: -r["overdue"]
            )
        body = {
            **self._scope(area, period),
            "tiers": tiers,
            "overdue_by_kecamatan": overdue["kecamatan"],
            "overdue_by_kelurahan": overdue["kelurahan"],
        }
        return Result(body, tiers)

    async def rt_performance(self, area: Area, period: Period) -> Result:
        rows = [
            {
                "rt_code": d["code"],
                "rt_name": d["name"],
                "kelurahan_code": d["kelurahan_code"],
                "month": d["month"],
                **MONTH_BY,
                "verified": int(d.get("verified", 0)),
                "counts_for_performance": int(d.get("verified_counting", 0)),
            }
            for d in await self._rt_docs(area, period)
            if d.get("verified", 0) > 0
        ]
        rows.sort(key=lambda r: (r["rt_code"], r["month"]))
        return Result({**self._scope(area, period), "rows": rows}, rows)

    async def funds(self, area: Area, period: Period) -> Result:
        docs = self._in(await self._own(area), period)
        months = sorted({d["month"] for d in docs})
        first = period.first or (months[0] if months else None)
        last = period.last or (months[-1] if months else None)
        span = months_between(first, last) if first and last else 12
        body = figures.funds(
            figures.total(docs),
            rt_total=rt_total(area, self.directory),
            months=span,
            per_rt_year=self.fund_per_rt_year,
        )
        scope = {**self._scope(area, period), "months": span}
        body = {**scope, "allocation_per_rt_year": self.fund_per_rt_year, **body}
        return Result(body, body["split"])

    async def timeseries(self, area: Area, period: Period) -> Result:
        months: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for doc in self._in(await self._own(area), period):
            for name, value in figures.total([doc]).items():
                months[doc["month"]][name] += value
        active: dict[str, set[str]] = defaultdict(set)
        verified_rts: dict[str, set[str]] = defaultdict(set)
        for doc in await self._rt_docs(area, period):
            if doc.get("reports", 0) > 0:
                active[doc["month"]].add(doc["code"])
            if doc.get("verified", 0) > 0:
                verified_rts[doc["month"]].add(doc["code"])
        total_rts = rt_total(area, self.directory)
        rows = []
        for month in sorted(months):
            c = months[month]
            realised = sum(v for k, v in c.items() if k.startswith("fund_realised_"))
            rows.append(
                {
                    "month": month,
                    **MONTH_BY,
                    "reports": int(c.get("reports", 0)),
                    # The same reports by when they were uploaded (submitted).
                    "reports_submitted": int(c.get("submitted", 0)),
                    "verified": int(c.get("verified", 0)),
                    "counts_for_performance": int(c.get("verified_counting", 0)),
                    **{f"approved_{t}": int(c.get(f"approved_{t}", 0)) for t in Tier},
                    **{f"rejected_{t}": int(c.get(f"rejected_{t}", 0)) for t in Tier},
                    "overdue": figures.overdue_total(c),
                    "active_rt_percent": figures.percent(len(active[month]), total_rts),
                    "verified_rt_percent": figures.percent(len(verified_rts[month]), total_rts),
                    "fund_realised_rupiah": round(realised),
                }
            )
        return Result({**self._scope(area, period), "months": rows}, rows)

    async def public_activity(self, area: Area, period: Period) -> Result:
        """Verified activity per kelurahan and RT: counts only, nothing about people."""
        per_rt: dict[str, dict[str, Any]] = {}
        for doc in await self._rt_docs(area, period):
            if not doc.get("verified", 0):
                continue
            row = per_rt.setdefault(
                doc["code"],
                {
                    "rt_code": doc["code"],
                    "rt_name": doc["name"],
                    "kelurahan_code": doc["kelurahan_code"],
                    "verified": 0,
                },
            )
            row["verified"] += int(doc["verified"])
        names = dict(areas_at("kelurahan", area, self.directory))
        per_kelurahan: dict[str, dict[str, Any]] = {}
        for row in per_rt.values():
            code = row["kelurahan_code"]
            entry = per_kelurahan.setdefault(
                code,
                {"kelurahan_code": code, "kelurahan_name": names.get(code, ""), "verified": 0},
            )
            entry["verified"] += row["verified"]
            row["kelurahan_name"] = entry["kelurahan_name"]
        by_kelurahan = sorted(
            per_kelurahan.values(), key=lambda r: (-r["verified"], r["kelurahan_code"])
        )
        by_rt = sorted(per_rt.values(), key=lambda r: r["rt_code"])
        body = {
            **self._scope(area, period),
            "verified_total": sum(r["verified"] for r in by_rt),
            "by_kelurahan": by_kelurahan,
            "by_rt": by_rt,
        }
        return Result(body, by_rt)


def _counts(row: dict[str, Any]) -> dict[str, Any]:
    return {"reports": row["reports"], "share_percent": row["share_percent"]}


# ---------------------------------------------------------------- Open311 service requests
# The view store selects only by equality, so a search reads the kota's requests of each WIB
# month its window touches (a 90-day window touches at most four) and filters the moments,
# services and statuses in Python. Ids asked for by `service_request_id` are read by key.

# `find` needs a limit: one kota's verified reports of one month are far fewer.
_MONTH_LIMIT = 10_000_000


async def find_requests(views: ViewStore, search: Search) -> list[dict[str, Any]]:
    docs: list[Document] = []
    if search.service_request_ids:
        for request_id in search.service_request_ids:
            doc = await views.get(OPEN311, request_id)
            if doc is not None:
                docs.append(doc)
    else:
        for month in search.months():
            where = {"jurisdiction_id": search.jurisdiction_id, "requested_month": month}
            docs += await views.find(OPEN311, where, limit=_MONTH_LIMIT)
    return select(docs, search)


async def get_request(
    views: ViewStore, request_id: str, jurisdiction_id: str
) -> dict[str, Any] | None:
    """One verified report as a request; None when unknown, unverified or of another kota."""
    doc = await views.get(OPEN311, request_id)
    if doc is None or doc.get("jurisdiction_id") != jurisdiction_id:
        return None
    return public_request(doc)
