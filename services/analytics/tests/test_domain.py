"""The fold and the figures, driven without I/O."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from analytics_support.scenario import START, content, stream_of

from sipokat.analytics.domain import NOW, Delta, ReportFacts, fold, month_of, new_facts
from sipokat.analytics.domain.areas import (
    Area,
    BadArea,
    Period,
    jurisdiction,
    months_between,
    parse_area,
    parse_period,
)
from sipokat.analytics.domain.figures import funds, quantile_hours, ranking, with_shares
from sipokat.events.catalogue import Bidang, BidangDana, ReportContent, Tier
from sipokat.events.envelope import Envelope, Role
from sipokat.wilayah import load_default_directory

RT = "16.73.02.1019/007"


def fold_all(events: list[Envelope]) -> tuple[ReportFacts, list[Delta]]:
    facts = new_facts(events[0])
    deltas: list[Delta] = []
    for event in events:
        outcome = fold(facts, event)
        assert outcome is not None
        facts, deltas = outcome.facts, deltas + outcome.deltas
    return facts, deltas


def summed(deltas: list[Delta]) -> dict[tuple[str, str], float]:
    sums: dict[tuple[str, str], float] = {}
    for d in deltas:
        sums[(d.month, d.counter)] = sums.get((d.month, d.counter), 0) + d.amount
    return {k: v for k, v in sums.items() if v}


def test_shares_are_percent_of_the_whole_largest_first() -> None:
    rows = with_shares(
        [
            {"bidang": "keamanan_ketertiban", "reports": 6},
            {"bidang": "pemerintahan", "reports": 64},
            {"bidang": "kesehatan_lingkungan", "reports": 24},
            {"bidang": "sosial_kemasyarakatan", "reports": 6},
        ]
    )
    assert [(r["bidang"], r["share_percent"]) for r in rows] == [
        ("pemerintahan", 64.0),
        ("kesehatan_lingkungan", 24.0),
        ("keamanan_ketertiban", 6.0),
        ("sosial_kemasyarakatan", 6.0),
    ]
    assert with_shares([{"kind": "usulan", "reports": 0}])[0]["share_percent"] == 0.0


def test_months_are_wib_calendar_months() -> None:
    # 31 January 20:00 UTC is already 1 February in Jakarta.
    assert month_of(START + timedelta(days=30, hours=20)) == "2026-02"


def test_a_report_rejected_revised_and_verified_counts_once_in_its_final_bidang() -> None:
    report = stream_of(RT)
    first = content_with(Bidang.PEMERINTAHAN)
    report.submit(first, START)
    report.reject(Tier.KELURAHAN, START + timedelta(hours=5))
    revised = content_with(Bidang.SOSIAL_KEMASYARAKATAN)
    report.revise(revised, revision=1, at=START + timedelta(days=40))  # revised in February
    report.approve(Tier.KELURAHAN, START + timedelta(days=40, hours=3))
    report.approve(Tier.KECAMATAN, START + timedelta(days=43))
    report.approve(Tier.KOTA, START + timedelta(days=43, hours=1))
    report.verify(revised, counts=True, at=START + timedelta(days=43, hours=1))
    facts, deltas = fold_all(report.events)
    assert summed(deltas) == {
        # the report and its verification belong to its activity's month (1 January), with the
        # bidang it ended up in; decisions to the months they were taken
        ("2026-01", "submitted"): 1,
        ("2026-01", "reports"): 1,
        ("2026-01", "kind_kegiatan"): 1,
        ("2026-01", "bidang_sosial_kemasyarakatan"): 1,
        ("2026-01", "rejected_kelurahan"): 1,
        ("2026-01", "decided_kelurahan_b3"): 1,  # 5 hours: the (4, 8] bucket
        ("2026-02", "approved_kelurahan"): 1,
        ("2026-02", "decided_kelurahan_b2"): 1,  # 3 hours after the revision: (2, 4]
        ("2026-02", "approved_kecamatan"): 1,
        ("2026-02", "decided_kecamatan_b7"): 1,  # 69 hours: (48, 72]
        ("2026-02", "approved_kota"): 1,
        ("2026-02", "decided_kota_b0"): 1,
        ("2026-01", "verified"): 1,
        ("2026-01", "verified_counting"): 1,
        ("2026-01", "verified_bidang_sosial_kemasyarakatan"): 1,
    }
    waiting = [d for d in deltas if d.month == NOW]
    assert waiting and sum(d.amount for d in waiting) == 0  # it waited; nothing waits any more
    assert facts.verified_month == "2026-02"


def test_the_work_counts_in_the_month_of_its_activity_not_of_its_upload() -> None:
    # Done on 28 March, uploaded on 5 April, verified on 2 May.
    report = stream_of(RT)
    body = content_with(Bidang.PEMBANGUNAN).model_copy(update={"activity_date": date(2026, 3, 28)})
    report.submit(body, datetime(2026, 4, 5, 3, tzinfo=UTC))
    report.approve(Tier.KELURAHAN, datetime(2026, 5, 2, 3, tzinfo=UTC))
    report.approve(Tier.KECAMATAN, datetime(2026, 5, 2, 4, tzinfo=UTC))
    report.approve(Tier.KOTA, datetime(2026, 5, 2, 5, tzinfo=UTC))
    report.verify(body, counts=True, at=datetime(2026, 5, 2, 5, tzinfo=UTC))
    months = summed(fold_all(report.events)[1])
    assert {c: a for (m, c), a in months.items() if m == "2026-03"} == {
        "reports": 1,
        "kind_kegiatan": 1,
        "bidang_pembangunan": 1,
        "verified": 1,
        "verified_counting": 1,
        "verified_bidang_pembangunan": 1,
    }
    assert {c: a for (m, c), a in months.items() if m == "2026-04"} == {"submitted": 1}
    assert {c for (m, c) in months if m == "2026-05"} >= {"approved_kota", "approved_kelurahan"}


def test_a_revision_that_corrects_the_date_moves_the_report_to_that_month() -> None:
    report = stream_of(RT)
    wrong = content_with(Bidang.EKONOMI).model_copy(update={"activity_date": date(2026, 1, 30)})
    report.submit(wrong, datetime(2026, 3, 1, tzinfo=UTC))
    report.reject(Tier.KELURAHAN, datetime(2026, 3, 2, tzinfo=UTC))
    right = wrong.model_copy(
        update={"activity_date": date(2026, 2, 27), "bidang": Bidang.KEAGAMAAN}
    )
    report.revise(right, revision=1, at=datetime(2026, 3, 3, tzinfo=UTC))
    months = summed(fold_all(report.events)[1])
    assert {(m, c): a for (m, c), a in months.items() if m in ("2026-01", "2026-02")} == {
        ("2026-02", "reports"): 1,
        ("2026-02", "kind_kegiatan"): 1,
        ("2026-02", "bidang_keagamaan"): 1,
    }
    assert months[("2026-03", "submitted")] == 1


def test_a_revision_of_a_report_folded_before_activity_months_moves_it_from_its_upload_month() -> (
    None
):
    # Facts stored by the fold before activity dates were kept: counted in the upload month.
    report = stream_of(RT)
    body = content_with(Bidang.EKONOMI).model_copy(update={"activity_date": date(2026, 2, 20)})
    submitted = report.submit(body, datetime(2026, 3, 1, tzinfo=UTC))
    old = fold(new_facts(submitted), submitted)
    assert old is not None
    stored = {**old.facts.to_doc(), "activity_month": None, "submitted_month": "2026-03"}
    report.reject(Tier.KELURAHAN, datetime(2026, 3, 2, tzinfo=UTC))
    report.revise(body, revision=1, at=datetime(2026, 3, 3, tzinfo=UTC))
    facts, deltas = ReportFacts.from_doc(stored), []
    for event in report.events[1:]:
        outcome = fold(facts, event)
        assert outcome is not None
        facts, deltas = outcome.facts, deltas + outcome.deltas
    moved = summed(deltas)
    assert moved[("2026-03", "reports")] == -1 and moved[("2026-02", "reports")] == 1
    assert facts.activity_month == "2026-02"


def test_an_event_at_or_below_the_applied_version_is_a_duplicate() -> None:
    report = stream_of(RT)
    submitted = report.submit(content_with(Bidang.EKONOMI), START)
    facts = new_facts(submitted)
    outcome = fold(facts, submitted)
    assert outcome is not None
    assert fold(outcome.facts, submitted) is None


def progress_report(
    progress: int, done: date, verified_at: datetime, amount: int = 45_000_000
) -> Envelope:
    """A verified progress report of the RT's one programme."""
    report = stream_of(RT)
    body = content(random.Random(0), RT, programme=1).model_copy(update={"activity_date": done})
    assert body.fund is not None
    body = body.model_copy(
        update={
            "fund": body.fund.model_copy(
                update={
                    "progress_percent": progress,
                    "amount_rupiah": amount,
                    "bidang_dana": BidangDana.INFRASTRUKTUR,
                }
            )
        }
    )
    report.submit(body, verified_at - timedelta(days=2))
    return report.verify(body, counts=True, at=verified_at)


def fold_programme(order: list[Envelope]) -> dict[tuple[str, str], float]:
    programme = None
    deltas: list[Delta] = []
    for event in order:
        outcome = fold(ReportFacts(str(uuid4()), RT), event, programme)
        assert outcome is not None
        programme, deltas = outcome.programme, deltas + outcome.deltas
    return summed(deltas)


def fund_totals(months: dict[tuple[str, str], float], through: str = "9999-12") -> dict[str, float]:
    totals: dict[str, float] = {}
    for (month, counter), amount in months.items():
        if counter.startswith("fund_") and month <= through:
            totals[counter] = totals.get(counter, 0) + amount
    return {k: v for k, v in totals.items() if v}


def test_fund_progress_goes_forward_when_an_earlier_step_is_verified_last() -> None:
    # The RT reported 0% in January, 50% in March, 100% in May; the city approved the 0% report
    # last, in June. The programme stays at 100%: Rp 45 juta used, not 0.
    zero = progress_report(0, date(2026, 1, 10), datetime(2026, 6, 20, tzinfo=UTC))
    half = progress_report(50, date(2026, 3, 10), datetime(2026, 4, 1, tzinfo=UTC))
    done = progress_report(100, date(2026, 5, 10), datetime(2026, 6, 1, tzinfo=UTC))
    months = fold_programme([half, done, zero])
    assert fund_totals(months) == {
        "fund_amount_infrastruktur": 45_000_000,
        "fund_realised_infrastruktur": 45_000_000,
    }
    # Month by month, as the work went (activity dates), whatever order it was verified in.
    assert fund_totals(months, "2025-12") == {}
    assert fund_totals(months, "2026-02") == {"fund_amount_infrastruktur": 45_000_000}
    assert fund_totals(months, "2026-04")["fund_realised_infrastruktur"] == 22_500_000
    for order in itertools.permutations([zero, half, done]):
        assert fold_programme(list(order)) == months


def test_a_lower_step_reported_after_a_higher_one_does_not_move_the_programme_back() -> None:
    done = progress_report(100, date(2026, 5, 10), datetime(2026, 5, 20, tzinfo=UTC))
    # A 0% report of later work, with another amount: a slip, not a step back.
    late_zero = progress_report(0, date(2026, 7, 1), datetime(2026, 7, 5, tzinfo=UTC), 15_000_000)
    assert fund_totals(fold_programme([done, late_zero])) == {
        "fund_amount_infrastruktur": 45_000_000,
        "fund_realised_infrastruktur": 45_000_000,
    }
    # At the same step, the later report holds (a corrected amount).
    corrected = progress_report(100, date(2026, 6, 1), datetime(2026, 6, 2, tzinfo=UTC), 40_000_000)
    assert fund_totals(fold_programme([corrected, late_zero, done])) == {
        "fund_amount_infrastruktur": 40_000_000,
        "fund_realised_infrastruktur": 40_000_000,
    }


def test_programme_months_do_not_depend_on_which_report_arrives_first() -> None:
    rng = random.Random(1)
    reports = []
    for day in (3, 50):  # the same programme reported twice, in January and February
        report = stream_of(RT)
        body = content(rng, RT, programme=1)
        report.submit(body, START)
        reports.append(report.verify(body, counts=True, at=START + timedelta(days=day)))

    def run(order: list[Envelope]) -> dict[tuple[str, str], float]:
        programme = None
        deltas: list[Delta] = []
        for event in order:
            outcome = fold(ReportFacts(str(uuid4()), RT), event, programme)
            assert outcome is not None
            programme, deltas = outcome.programme, deltas + outcome.deltas
        return summed(deltas)

    assert run(reports) == run(reports[::-1])


def test_quantiles_are_the_bound_of_the_bucket_holding_the_nearest_rank() -> None:
    # 10 decisions: six within an hour, three within 24 hours, one past every bound
    histogram = [6, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 1]
    assert quantile_hours(histogram, 0.5) == 1
    assert quantile_hours(histogram, 0.9) == 24
    assert quantile_hours(histogram, 0.95) is None  # more than 720 hours
    assert quantile_hours([0] * 13, 0.5) is None


def test_ranking_per_rt_corrects_for_size() -> None:
    rows = ranking(
        [
            {"code": "big", "reports": 30, "rt_total": 30},
            {"code": "small", "reports": 10, "rt_total": 5},
        ]
    )
    assert [(r["code"], r["rank_per_rt"], r["rank_raw"]) for r in rows] == [
        ("small", 1, 2),
        ("big", 2, 1),
    ]


def test_absorption_is_realised_spending_over_the_pro_rata_allocation() -> None:
    figures = funds(
        {"fund_realised_infrastruktur": 15_000_000, "fund_amount_infrastruktur": 30_000_000},
        rt_total=2,
        months=6,
        per_rt_year=50_000_000,
    )
    assert figures["allocation_rupiah"] == 50_000_000
    assert figures["absorption_percent"] == 30.0
    assert figures["split"][0] == {
        "bidang_dana": "infrastruktur",
        "amount_rupiah": 30_000_000,
        "share_percent": 100.0,
        "guideline_percent": 60,
    }


def test_periods_and_areas_are_checked() -> None:
    assert parse_period("2026-01", "2026-03") == Period("2026-01", "2026-03")
    assert months_between("2025-11", "2026-02") == 4
    for first, last in (
        ("2026-13", None),
        ("2026-1", None),
        ("2026-04", "2026-03"),
        ("2026-01\n", None),  # Python's `$` matches before a trailing newline
        ("\u0662\u0660\u0662\u0666-01", None),  # `\d` takes Arabic-Indic digits
    ):
        with pytest.raises(ValueError):
            parse_period(first, last)
    directory = load_default_directory()
    assert parse_area("16.73.02.1019/007", directory) == Area("rt", "16.73.02.1019/007")
    # With a trailing newline the RT code was a 500 (the WilayahPath refused what `$` took).
    for bad in (
        "16.73.99",
        "16.73.02.1019/999",
        "pelita jaya",
        "16.73.02.1019/007\n",
        "16.73.02.1019\n",
        "16.73\n",
        "16.73.02.1019/\u0660\u0660\u0667",
    ):
        with pytest.raises(BadArea):
            parse_area(bad, directory)


def test_leaders_see_their_own_area_and_nobody_else_sees_any() -> None:
    assert jurisdiction(Role.ADMIN, None) == Area()
    assert jurisdiction(Role.PEMKOT, "16.73") == Area("kota", "16.73")
    assert jurisdiction(Role.LURAH, "16.73.02.1019") == Area("kelurahan", "16.73.02.1019")
    assert jurisdiction(Role.KETUA_RT, RT) is None
    assert jurisdiction(Role.CAMAT, None) is None
    camat = Area("kecamatan", "16.73.02")
    assert camat.contains(Area("rt", RT))
    assert not camat.contains(Area("kecamatan", "16.73.021"))


def content_with(bidang: Bidang) -> ReportContent:
    return content(random.Random(0), RT).model_copy(update={"bidang": bidang, "fund": None})
