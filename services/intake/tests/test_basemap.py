"""SIPOKAT_MAP_TILE_URL: checked when the settings are read, and the image origins it needs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sipokat.intake.settings import IntakeSettings, image_sources


@pytest.mark.parametrize("unset", [None, ""])
def test_unset_asks_for_no_tiles(unset: str | None) -> None:
    assert IntakeSettings(map_tile_url=unset).map_tile_url is None
    assert image_sources(unset) == []


@pytest.mark.parametrize(
    ("template", "origins"),
    [
        ("https://tiles.example.org/{z}/{x}/{y}.png", ["https://tiles.example.org"]),
        ("http://127.0.0.1:8765/tiles/{z}/{x}/{y}.png", ["http://127.0.0.1:8765"]),
        (
            "https://{s}.tile.example.org/{z}/{x}/{y}{r}.png",
            [
                "https://a.tile.example.org",
                "https://b.tile.example.org",
                "https://c.tile.example.org",
            ],
        ),
        ("/tiles/{z}/{x}/{y}.png", []),  # this origin: 'self' covers it
    ],
)
def test_a_template_needs_only_its_own_origins(template: str, origins: list[str]) -> None:
    assert IntakeSettings(map_tile_url=template).map_tile_url == template
    assert image_sources(template) == origins


@pytest.mark.parametrize(
    "template",
    [
        "https://tiles.example.org/{z}/{x}.png",  # no {y}
        "https://tiles.example.org/{z}/{x}/{y}.png?key={apikey}",
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
        "tiles.example.org/{z}/{x}/{y}.png",
        "//tiles.example.org/{z}/{x}/{y}.png",
        "https://{z}.example.org/{x}/{y}.png",
        "https://user:secret@tiles.example.org/{z}/{x}/{y}.png",
    ],
)
def test_a_template_it_cannot_use_is_refused_at_start(template: str) -> None:
    with pytest.raises(ValidationError, match="SIPOKAT_MAP_TILE_URL"):
        IntakeSettings(map_tile_url=template)
