"""Compares what the read models answer with the independent computation (`oracle.Oracle`)."""

from __future__ import annotations

from typing import Any

from analytics_support.oracle import Oracle
from sipokat.analytics.domain.areas import Area, Period
from sipokat.analytics.queries import Reader
from sipokat.events.catalogue import BidangDana, Tier


async def assert_matches_oracle(reader: Reader, oracle: Oracle, area: Area) -> None:
    period = Period(oracle.first, oracle.last)
    where = f"{area.code} {period}"

    summary = (await reader.summary(area, period)).body
    by_bidang = {r["bidang"]: r["reports"] for r in summary["by_bidang"] if r["reports"]}
    assert by_bidang == dict(oracle.by_bidang()), where
    assert summary["total_reports"] == sum(oracle.by_bidang().values()), where

    reporting, verified = oracle.active()
    active = (await reader.active_rts(area, period)).body
    assert (active["rts_reporting"], active["rts_with_verified"]) == (
        len(reporting),
        len(verified),
    ), where

    performance = (await reader.rt_performance(area, period)).body["rows"]
    assert {
        (r["rt_code"], r["month"]): (r["verified"], r["counts_for_performance"])
        for r in performance
    } == oracle.rt_performance(), where

    funnel = {r["tier"]: r for r in (await reader.verification(area, period)).body["tiers"]}
    waiting = oracle.waiting()
    for tier in Tier:
        approved, rejected, hours = oracle.decisions(tier)
        row = funnel[tier]
        assert (row["approved"], row["rejected"]) == (approved, rejected), (where, tier)
        assert row["median_hours"] == oracle.quantile(hours, 0.5), (where, tier)
        assert row["p90_hours"] == oracle.quantile(hours, 0.9), (where, tier)
        assert row["overdue"] == oracle.overdue(tier), (where, tier)
        assert row["waiting"] == waiting[tier], (where, tier)

    series = (await reader.timeseries(area, period)).body["months"]
    assert {
        r["month"]: (r["reports"], r["reports_submitted"], r["verified"])
        for r in series
        if r["reports"] or r["reports_submitted"] or r["verified"]
    } == oracle.by_month(), where

    funds = (await reader.funds(area, period)).body
    expected: dict[str, Any] = oracle.funds()
    split = {r["bidang_dana"]: r["amount_rupiah"] for r in funds["split"]}
    assert split == {b.value: round(expected.get(f"fund_amount_{b}", 0)) for b in BidangDana}, where
    realised = sum(expected.get(f"fund_realised_{b}", 0) for b in BidangDana)
    assert funds["realised_rupiah"] == round(realised), where
    assert {r["progress_percent"]: r["programmes"] for r in funds["programmes_by_progress"]} == {
        p: expected.get(f"programmes_p{p}", 0) for p in (0, 50, 100)
    }, where
