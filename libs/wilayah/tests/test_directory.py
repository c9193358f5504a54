from __future__ import annotations

import json
from pathlib import Path

import pytest

from sipokat.wilayah import UnknownWilayah, load_default_directory, load_directory, within


def test_default_directory_has_both_cities_with_their_published_rt_totals() -> None:
    directory = load_default_directory()
    assert {city.name for city in directory.cities} == {"Kota Lubuk Linggau", "Kota Kediri"}
    assert directory.rt_total("16.73") == 528  # SIPOKAT: 528 RT heads with the app
    assert directory.rt_total("35.71") == 1442  # Kediri's RTs under PRODAMAS


def test_rt_path_names_every_level() -> None:
    path = load_default_directory().rt_path("16.73.02.1019/007")
    assert (path.kota_code, path.kecamatan_code, path.kelurahan_code) == (
        "16.73",
        "16.73.02",
        "16.73.02.1019",
    )
    assert path.kelurahan_name == "Pelita Jaya"
    assert path.kecamatan_name == "Lubuk Linggau Barat I"


@pytest.mark.parametrize(
    ("code", "complaint"),
    [
        ("16.73.02.1019", "not an RT code"),
        ("16.73.02.9999/001", "no kelurahan"),
        ("16.73.02.1019/000", "has RT 001 to"),
        ("16.73.02.1019/999", "has RT 001 to"),
    ],
)
def test_rt_path_refuses_what_is_not_in_the_directory(code: str, complaint: str) -> None:
    with pytest.raises(UnknownWilayah, match=complaint):
        load_default_directory().rt_path(code)


def test_every_listed_rt_resolves() -> None:
    directory = load_default_directory()
    kelurahan = directory.kelurahan("16.73.02.1019")
    codes = kelurahan.rt_codes()
    assert len(codes) == kelurahan.rt_count
    assert all(directory.rt_path(code).kelurahan_code == kelurahan.code for code in codes)


def test_a_directory_loads_from_another_file(tmp_path: Path) -> None:
    other = {
        "cities": [
            {
                "code": "99.01",
                "name": "Kota Contoh",
                "kecamatan": [
                    {
                        "code": "99.01.01",
                        "name": "Tengah",
                        "kelurahan": [{"code": "99.01.01.1001", "name": "Satu", "rt_count": 2}],
                    }
                ],
            }
        ]
    }
    path = tmp_path / "wilayah.json"
    path.write_text(json.dumps(other))
    directory = load_directory(path)
    assert directory.rt_path("99.01.01.1001/002").kota_name == "Kota Contoh"
    assert directory.rt_total() == 2
    with pytest.raises(UnknownWilayah):
        directory.rt_path("16.73.02.1019/007")


@pytest.mark.parametrize(
    ("code", "area", "inside"),
    [
        ("16.73.02.1019/007", "16.73.02.1019", True),
        ("16.73.02.1019/007", "16.73.02", True),
        ("16.73.02.1019/007", "16.73", True),
        ("16.73.02.1019", "16.73.02.1019", True),  # an area lies in itself
        ("16.73.02.1019", "16.73.02.1019/007", False),  # not in what lies in it
        ("16.73.02.1019/007", "16.73.02.1001", False),
        ("16.73.021.1001", "16.73.02", False),  # a prefix of the text is not a parent
        ("16.73.02.10190/001", "16.73.02.1019", False),
        ("35.71.01.1001", "16.73", False),
    ],
)
def test_within_follows_the_codes_hierarchy(code: str, area: str, inside: bool) -> None:
    assert within(code, area) is inside
    assert load_default_directory().contains(area, code) is inside


def test_only_kediri_runs_a_fund_programme() -> None:
    directory = load_default_directory()
    kediri = directory.city("35.71").fund_programme
    assert kediri is not None and kediri.code == "prodamas"
    assert directory.city("16.73").fund_programme is None
