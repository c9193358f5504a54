"""`Directory.level_of`: what a wilayah code is, for checking tokens' claims."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from sipokat.wilayah import UnknownWilayah, load_default_directory, load_directory


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("16.73", "kota"),
        ("35.71", "kota"),
        ("16.73.02", "kecamatan"),
        ("16.73.02.1019", "kelurahan"),
        ("16.73.02.1019/007", "rt"),
        ("16.73.02.1019/999", None),
        ("16.73.02.9999", None),
        ("99.99", None),
        ("", None),
        ("garbage", None),
    ],
)
def test_level_of(code: str, level: str | None) -> None:
    assert load_default_directory().level_of(code) == level


# What Python's `re` takes with `\d` and `$` (and pydantic's Rust regex with `\d`): a trailing
# newline, and any script's decimal digits. "16.73.02.1019/\u0660\u0660\u0667" read as RT 7 of
# Pelita Jaya, under a code no event could carry; the one with a newline was a 500 at analytics.
NOT_CODES = [
    "16.73.02.1019/007\n",
    "16.73.02.1019\n",
    "16.73\n",
    "16.73.02.1019/\u0660\u0660\u0667",
    "\u0661\u0666.\u0667\u0663",
    "16.73.02.1019/\uff10\uff10\uff17",
    "16.73.02.1019/007 ",
]


@pytest.mark.parametrize("code", NOT_CODES)
def test_only_ascii_codes_with_nothing_after_them_are_areas(code: str) -> None:
    directory = load_default_directory()
    assert directory.level_of(code) is None
    with pytest.raises(UnknownWilayah):
        directory.rt_path(code)


def test_a_directory_file_with_codes_no_event_could_carry_is_refused(tmp_path: Path) -> None:
    city = {"code": "\u0661\u0666.73", "name": "Kota", "kecamatan": []}
    path = tmp_path / "wilayah.json"
    path.write_text(json.dumps({"cities": [city]}))
    with pytest.raises(ValidationError):
        load_directory(path)
