"""Reports by field, kind and kelurahan: shares, and exactly-once counting on every backend."""

from __future__ import annotations

from sipokat.analytics import views
from sipokat.analytics.domain import with_shares
from sipokat.events.catalogue import Bidang
from sipokat.events.projection import projection_handler
from sipokat.events.store import Database
from sipokat.events.testing import make_content, make_submitted


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


def test_shares_of_nothing_are_zero() -> None:
    assert with_shares([{"kind": "usulan", "reports": 0}])[0]["share_percent"] == 0.0


async def test_each_report_is_counted_once_however_often_it_arrives(database: Database) -> None:
    handle = projection_handler(database.views, views.project)
    reports = [
        make_submitted(content=make_content(bidang=Bidang.PEMERINTAHAN)) for _ in range(3)
    ] + [make_submitted(content=make_content(bidang=Bidang.EKONOMI))]
    for event in reports + reports[:2]:  # two redeliveries
        await handle(event)
    by_bidang = {
        row["bidang"]: row["reports"] for row in await database.views.find(views.BY_BIDANG)
    }
    assert by_bidang == {"pemerintahan": 3, "ekonomi": 1}
    by_kelurahan = await database.views.find(views.BY_KELURAHAN)
    assert [row["reports"] for row in by_kelurahan] == [4]
