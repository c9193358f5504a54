"""The demo's city mix: what RT heads submit, with a seeded random (no I/O)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from random import Random

import pytest

from sipokat.events.catalogue import Bidang, BidangDana, ReportContent, ReportKind
from sipokat.intake.domain import Rules, content_errors
from sipokat.intake.settings import DEFAULT_CITY_BOUNDS
from sipokat.ops.demo.mix import PRODAMAS_PER_RT_YEAR, PRODAMAS_SPLIT, CityMix, PlannedReport
from sipokat.wilayah import load_default_directory

TODAY = date(2026, 11, 20)
SAMPLES = 4000


def plans(kota: str, seed: int = 7, count: int = SAMPLES) -> list[PlannedReport]:
    mix = CityMix(load_default_directory(), kota, Random(seed), TODAY)
    return [mix.next_report() for _ in range(count)]


def shares(values: list[str]) -> dict[str, float]:
    return {value: 100 * n / len(values) for value, n in Counter(values).items()}


@pytest.fixture(scope="module")
def lubuklinggau() -> list[PlannedReport]:
    return plans("16.73")


@pytest.fixture(scope="module")
def kediri() -> list[PlannedReport]:
    return plans("35.71")


def test_bidang_follow_the_2021_lubuklinggau_evaluation(lubuklinggau: list[PlannedReport]) -> None:
    share = shares([str(p.content.bidang) for p in lubuklinggau])
    assert share["pemerintahan"] == pytest.approx(64, abs=3)
    assert share["kesehatan_lingkungan"] == pytest.approx(24, abs=3)
    assert share["keamanan_ketertiban"] + share["sosial_kemasyarakatan"] == pytest.approx(6, abs=2)
    others = [share.get(b, 0) for b in ("keagamaan", "pembangunan", "ekonomi")]
    assert all(0 < s < 5 for s in others)


def test_mostly_kegiatan_some_usulan_and_no_fund_reports_outside_prodamas(
    lubuklinggau: list[PlannedReport],
) -> None:
    share = shares([str(p.content.kind) for p in lubuklinggau])
    assert share["kegiatan"] > 80
    assert 4 < share["usulan"] < 15
    assert "progres_dana" not in share
    roads = [p for p in lubuklinggau if p.content.title.startswith("Usulan perbaikan jalan")]
    assert roads and all(p.content.bidang is Bidang.PEMBANGUNAN for p in roads)


def test_kediri_reports_prodamas_progress_split_60_20_20(kediri: list[PlannedReport]) -> None:
    funds = [p for p in kediri if p.content.kind is ReportKind.PROGRES_DANA]
    assert 15 < 100 * len(funds) / len(kediri) < 40
    split = shares([str(p.content.fund.bidang_dana) for p in funds if p.content.fund])
    assert split["infrastruktur"] == pytest.approx(60, abs=5)
    assert split["sosial"] == pytest.approx(20, abs=4)
    assert split["ekonomi"] == pytest.approx(20, abs=4)


def test_each_programme_goes_0_50_100_within_rp_50_million_per_rt(
    kediri: list[PlannedReport],
) -> None:
    progress: dict[tuple[str, str], list[int]] = {}
    amounts: dict[str, dict[str, int]] = {}
    for plan in kediri:
        fund = plan.content.fund
        if fund is None:
            continue
        progress.setdefault((plan.rt_code, fund.programme), []).append(fund.progress_percent)
        amounts.setdefault(plan.rt_code, {})[fund.programme] = fund.amount_rupiah
        assert fund.programme.startswith(f"Prodamas {TODAY.year}")
    assert all(steps == [0, 50, 100][: len(steps)] for steps in progress.values())
    assert any(len(steps) == 3 for steps in progress.values())
    assert all(sum(rt.values()) <= PRODAMAS_PER_RT_YEAR for rt in amounts.values())


def test_the_money_of_each_rt_is_split_like_the_guideline() -> None:
    mix = CityMix(load_default_directory(), "35.71", Random(9), TODAY)
    for rt in mix.rts[:200]:
        money = Counter[BidangDana]()
        for programme in rt.programmes:
            money[programme.bidang_dana] += programme.amount_rupiah
        assert sum(money.values()) == PRODAMAS_PER_RT_YEAR
        for dana, share in PRODAMAS_SPLIT.items():
            assert money[dana] / PRODAMAS_PER_RT_YEAR == pytest.approx(share, abs=0.1)
        assert len({p.name for p in rt.programmes}) == len(rt.programmes)


@pytest.mark.parametrize("kota", ["16.73", "35.71"])
def test_every_report_is_of_a_real_rt_and_passes_the_platforms_rules(kota: str) -> None:
    directory = load_default_directory()
    rules = Rules(
        TODAY, 90, DEFAULT_CITY_BOUNDS, photos_of_rt={}, fund_cities=directory.fund_cities()
    )
    for plan in plans(kota, seed=11, count=1500):
        wilayah = directory.rt_path(plan.rt_code)  # UnknownWilayah unless it exists
        assert wilayah.kota_code == kota
        content = ReportContent.model_validate(plan.content.model_dump(mode="json"))
        assert content_errors(content, wilayah, rules) == []
        assert TODAY.toordinal() - content.activity_date.toordinal() <= 30
        assert content.photos == []  # the driver uploads a photo first when `with_photo`


def test_activity_is_uneven_and_many_rts_stay_silent(lubuklinggau: list[PlannedReport]) -> None:
    per_kelurahan = Counter(p.rt_code.split("/")[0] for p in lubuklinggau)
    counts = sorted(per_kelurahan.values())
    assert counts[-1] > 5 * counts[len(counts) // 2]
    assert counts[0] < counts[len(counts) // 2] / 5
    reporting = {p.rt_code for p in lubuklinggau}
    assert len(reporting) < 0.6 * load_default_directory().rt_total("16.73")


def test_some_reports_have_photos_and_locations(lubuklinggau: list[PlannedReport]) -> None:
    photo = sum(p.with_photo for p in lubuklinggau) / len(lubuklinggau)
    located = sum(p.content.location is not None for p in lubuklinggau) / len(lubuklinggau)
    assert 0.3 < photo < 0.6
    assert 0.45 < located < 0.75


def test_the_same_seed_gives_the_same_city() -> None:
    assert plans("35.71", seed=3, count=200) == plans("35.71", seed=3, count=200)
    assert plans("35.71", seed=3, count=200) != plans("35.71", seed=4, count=200)
