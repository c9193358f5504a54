"""The console's base map: a tile server's URL template from the settings, checked once, and the
image origins a page's Content-Security-Policy must allow for it (and no more).

Unset by default: the public OpenStreetMap tiles forbid heavy use without permission, and a city
runs or rents its own tile server; without one the console's maps show the reports over a plain
background.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PLACEHOLDER = re.compile(r"\{([a-z]+)\}")
# What Leaflet's TileLayer fills in: zoom, column, row; a subdomain; "@2x" on a retina screen.
REQUIRED = {"z", "x", "y"}
KNOWN = REQUIRED | {"s", "r"}
# Leaflet's default `subdomains`, which the console keeps.
SUBDOMAINS = ("a", "b", "c")


def check_tile_url(template: str | None) -> str | None:
    """The template as given ('' is unset), or ValueError saying what is wrong with it."""
    if not template:
        return None
    names = set(PLACEHOLDER.findall(template))
    if not names >= REQUIRED or not names <= KNOWN:
        raise ValueError(
            "SIPOKAT_MAP_TILE_URL needs {z}, {x} and {y} (and may have {s} and {r}), e.g. "
            f"https://tiles.example.org/{{z}}/{{x}}/{{y}}.png; got {template!r}"
        )
    if template.startswith("/") and not template.startswith("//"):
        return template  # the gateway's own origin
    parts = urlsplit(template.replace("{s}", "a"))
    host = parts.hostname or ""
    bad = parts.scheme not in ("http", "https") or not host or parts.username is not None
    if bad or "{" in parts.netloc:
        raise ValueError(
            "SIPOKAT_MAP_TILE_URL must be an http(s) URL or a path on this origin (/...), with "
            f"placeholders only after the host (or {{s}} for a subdomain); got {template!r}"
        )
    return template


def image_sources(template: str | None) -> list[str]:
    """The origins tiles of `template` come from, for `img-src`: none for a path on this origin
    ('self' covers it), one per subdomain for a {s} template."""
    if not template or template.startswith("/"):
        return []
    hosts = (
        [template.replace("{s}", sub) for sub in SUBDOMAINS] if "{s}" in template else [template]
    )
    origins = []
    for url in hosts:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in origins:
            origins.append(origin)
    return origins
