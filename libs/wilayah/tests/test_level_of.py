"""`Directory.level_of`: what a wilayah code is, for checking tokens' claims."""

from __future__ import annotations

import pytest

from sipokat.wilayah import load_default_directory


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
