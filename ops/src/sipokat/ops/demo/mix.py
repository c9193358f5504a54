"""What a simulated city submits: which RTs report, in which bidang, of which kind, with which
words. Pure: no I/O, no clock (today is given), all chance from the `Random` it is handed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random
from typing import Literal, cast

from sipokat.events.catalogue import (
    Bidang,
    BidangDana,
    FundProgress,
    GeoPoint,
    ReportContent,
    ReportKind,
)
from sipokat.ops.demo import texts
from sipokat.wilayah import City, Directory, Kelurahan

# The 2021 evaluation of SIPOKAT (Lubuklinggau): pemerintahan 64%, kesehatan lingkungan 24%,
# keamanan/ketertiban and sosial kemasyarakatan 6% together, a little of the others.
BIDANG_WEIGHTS: dict[Bidang, float] = {
    Bidang.PEMERINTAHAN: 64,
    Bidang.KESEHATAN_LINGKUNGAN: 24,
    Bidang.KEAMANAN_KETERTIBAN: 3,
    Bidang.SOSIAL_KEMASYARAKATAN: 3,
    Bidang.KEAGAMAAN: 2,
    Bidang.PEMBANGUNAN: 2.5,
    Bidang.EKONOMI: 1.5,
}
# Chance that a report of the bidang is a proposal rather than an activity (overall ~9%).
USULAN_CHANCE: dict[Bidang, float] = {
    Bidang.PEMBANGUNAN: 0.6,
    Bidang.KESEHATAN_LINGKUNGAN: 0.15,
    Bidang.KEAMANAN_KETERTIBAN: 0.15,
    Bidang.PEMERINTAHAN: 0.05,
}
# PRODAMAS (Kediri): Rp 50 million per RT per year, guideline 60/20/20.
PRODAMAS_PER_RT_YEAR = 50_000_000
PRODAMAS_SPLIT: dict[BidangDana, float] = {
    BidangDana.INFRASTRUKTUR: 0.6,
    BidangDana.SOSIAL: 0.2,
    BidangDana.EKONOMI: 0.2,
}
PROGRES_DANA_SHARE = 0.3  # of a PRODAMAS city's reports, while its RTs have programmes running
DANA_BIDANG = {
    BidangDana.INFRASTRUKTUR: Bidang.PEMBANGUNAN,
    BidangDana.SOSIAL: Bidang.SOSIAL_KEMASYARAKATAN,
    BidangDana.EKONOMI: Bidang.EKONOMI,
}
# Kelurahan the evaluation ranked most and least active; whole kecamatan lean the same way.
BUSY = {"Pelita Jaya": 3.0}
QUIET = {"Petanang Ulu": 0.15}
KECAMATAN_LEAN = {"Lubuk Linggau Barat I": 1.5, "Lubuk Linggau Utara I": 0.5}
ACTIVE_RT_SHARE = 0.35  # many RTs never report (2020: only ~10% did)
PHOTO_SHARE = 0.45
LOCATION_SHARE = 0.6
# Inside the intake's bounding boxes, with a margin: (south, north, west, east).
CITY_BOXES = {"16.73": (-3.36, -3.22, 102.82, 102.93), "35.71": (-7.86, -7.78, 111.98, 112.05)}


@dataclass
class Programme:
    """One funded project of an RT; it reports 0%, then 50%, then 100%."""

    name: str
    bidang_dana: BidangDana
    amount_rupiah: int
    next_progress: int = 0


@dataclass(frozen=True)
class PlannedReport:
    rt_code: str
    content: ReportContent
    with_photo: bool


@dataclass
class _RT:
    code: str
    number: int
    kelurahan: Kelurahan
    weight: float
    programmes: list[Programme] = field(default_factory=list)


class CityMix:
    """The reports a city's RT heads send, one after another."""

    def __init__(self, directory: Directory, kota_code: str, rng: Random, today: date) -> None:
        self.city: City = directory.city(kota_code)
        self.rng, self.today = rng, today
        # Only a city that runs a fund programme reports its progress (intake refuses others).
        self.prodamas = self.city.fund_programme is not None
        self.rts = self._active_rts()
        self._weights = [rt.weight for rt in self.rts]
        self._centres = {
            kel.code: self._point_in_city(margin=0.01)
            for kec in self.city.kecamatan
            for kel in kec.kelurahan
        }

    def _active_rts(self) -> list[_RT]:
        rts: list[_RT] = []
        for kecamatan in self.city.kecamatan:
            lean = KECAMATAN_LEAN.get(kecamatan.name, 1.0)
            for kel in kecamatan.kelurahan:
                busy = lean * BUSY.get(kel.name, 1.0) * QUIET.get(kel.name, 1.0)
                weight = busy * math.exp(self.rng.gauss(0, 0.6))
                chance = min(0.95, ACTIVE_RT_SHARE * math.sqrt(busy))
                for number, code in enumerate(kel.rt_codes(), 1):
                    if self.rng.random() < chance:
                        rt_weight = weight * math.exp(self.rng.gauss(0, 0.5))
                        rts.append(_RT(code, number, kel, rt_weight, self._programmes(number)))
        if not rts:  # a tiny directory: someone still reports
            kel = self.city.kecamatan[0].kelurahan[0]
            rts.append(_RT(kel.rt_codes()[0], 1, kel, 1.0, self._programmes(1)))
        return rts

    def _programmes(self, rt_number: int) -> list[Programme]:
        """An RT's year of PRODAMAS: three small infrastructure projects (60% of the money, so
        60% of the progress reports too), one social and one economic."""
        if not self.prodamas:
            return []
        unit = 500_000
        infrastruktur = self.rng.randrange(50, 71)  # Rp 25-35 million, in units
        first = self.rng.randint(10, infrastruktur - 20)
        second = self.rng.randint(10, infrastruktur - first - 10)
        sosial = (PRODAMAS_PER_RT_YEAR // unit - infrastruktur) // 2
        ekonomi = PRODAMAS_PER_RT_YEAR // unit - infrastruktur - sosial
        fill = {"rt": f"{rt_number:03d}", "jalan": self.rng.choice(texts.JALAN)}
        projects = [
            *zip(
                self.rng.sample(texts.PROYEK_DANA[BidangDana.INFRASTRUKTUR], 3),
                [BidangDana.INFRASTRUKTUR] * 3,
                [first, second, infrastruktur - first - second],
                strict=True,
            ),
            (self.rng.choice(texts.PROYEK_DANA[BidangDana.SOSIAL]), BidangDana.SOSIAL, sosial),
            (self.rng.choice(texts.PROYEK_DANA[BidangDana.EKONOMI]), BidangDana.EKONOMI, ekonomi),
        ]
        year = self.today.year
        return [
            Programme(f"Prodamas {year}: " + name.format(**fill), dana, units * unit)
            for name, dana, units in projects
        ]

    def next_report(self) -> PlannedReport:
        rt = self.rng.choices(self.rts, weights=self._weights)[0]
        running = [p for p in rt.programmes if p.next_progress <= 100]
        if running and self.rng.random() < PROGRES_DANA_SHARE:
            content = self._progres_dana(rt, running)
        else:
            content = self._report(rt)
        return PlannedReport(rt.code, content, with_photo=self.rng.random() < PHOTO_SHARE)

    def _fill(self, rt: _RT) -> dict[str, object]:
        return {
            "rt": f"{rt.number:03d}",
            "kelurahan": rt.kelurahan.name,
            "jalan": self.rng.choice(texts.JALAN),
            "tempat": self.rng.choice(texts.TEMPAT),
            "program": self.rng.choice(texts.PROGRAM),
            "n": self.rng.randint(2, 12),
            "jumlah": self.rng.randint(12, 60),
            "meter": self.rng.randrange(50, 400, 10),
        }

    def _report(self, rt: _RT) -> ReportContent:
        bidang = self.rng.choices(list(BIDANG_WEIGHTS), weights=list(BIDANG_WEIGHTS.values()))[0]
        usulan = bidang in texts.USULAN and self.rng.random() < USULAN_CHANCE.get(bidang, 0)
        templates = texts.USULAN[bidang] if usulan else texts.KEGIATAN[bidang]
        title, description = self.rng.choice(templates)
        fill = self._fill(rt)
        return ReportContent(
            kind=ReportKind.USULAN if usulan else ReportKind.KEGIATAN,
            bidang=bidang,
            title=title.format(**fill),
            description=description.format(**fill),
            activity_date=self._recent_day(),
            location=self._location(rt),
        )

    def _progres_dana(self, rt: _RT, running: list[Programme]) -> ReportContent:
        programme = self.rng.choice(running)
        progress = programme.next_progress
        programme.next_progress += 50
        project = programme.name.split(": ", 1)[-1]
        return ReportContent(
            kind=ReportKind.PROGRES_DANA,
            bidang=DANA_BIDANG[programme.bidang_dana],
            title=f"{project} ({progress}%)",
            description=(
                f"Progres {progress}% {programme.name}, anggaran Rp "
                f"{programme.amount_rupiah:,}. ".replace(",", ".")
                + texts.PROGRES_KATA[progress]
            ),
            activity_date=self._recent_day(),
            location=self._location(rt),
            fund=FundProgress(
                programme=programme.name,
                amount_rupiah=programme.amount_rupiah,
                progress_percent=cast(Literal[0, 50, 100], progress),
                bidang_dana=programme.bidang_dana,
            ),
        )

    def _recent_day(self) -> date:
        # Most reports are sent within days of the activity; some after a couple of weeks.
        return self.today - timedelta(days=min(30, int(self.rng.expovariate(1 / 3))))

    def _point_in_city(self, margin: float = 0.0) -> tuple[float, float]:
        south, north, west, east = CITY_BOXES.get(self.city.code, (-1.0, 1.0, 100.0, 101.0))
        return (
            self.rng.uniform(south + margin, north - margin),
            self.rng.uniform(west + margin, east - margin),
        )

    def _location(self, rt: _RT) -> GeoPoint | None:
        if self.city.code not in CITY_BOXES or self.rng.random() >= LOCATION_SHARE:
            return None
        latitude, longitude = self._centres[rt.kelurahan.code]
        return GeoPoint(
            latitude=round(latitude + self.rng.uniform(-0.004, 0.004), 6),
            longitude=round(longitude + self.rng.uniform(-0.004, 0.004), 6),
        )
