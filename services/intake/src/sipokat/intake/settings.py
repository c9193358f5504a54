from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from sipokat.intake.domain import Bounds
from sipokat.runtime.settings import ServiceSettings

# Generous boxes around the two shipped cities (their administrative area plus a margin), so a
# GPS fix at the edge of town is not refused; the directory itself carries no coordinates.
DEFAULT_CITY_BOUNDS = {
    "16.73": Bounds(south=-3.42, north=-3.14, west=102.74, east=103.00),  # Lubuk Linggau
    "35.71": Bounds(south=-7.89, north=-7.75, west=111.95, east=112.08),  # Kediri
}


# The console's base map: a tile server's URL template, checked once, and the image origins a
# page's Content-Security-Policy must allow for it (and no more). Unset by default: the public
# OpenStreetMap tiles forbid heavy use without permission, and a city runs or rents its own tile
# server; without one the console's maps show the reports over a plain background.

TILE_PLACEHOLDER = re.compile(r"\{([a-z]+)\}")
# What Leaflet's TileLayer fills in: zoom, column, row; a subdomain; "@2x" on a retina screen.
TILE_REQUIRED = {"z", "x", "y"}
TILE_KNOWN = TILE_REQUIRED | {"s", "r"}
# Leaflet's default `subdomains`, which the console keeps.
TILE_SUBDOMAINS = ("a", "b", "c")


def check_tile_url(template: str | None) -> str | None:
    """The template as given ('' is unset), or ValueError saying what is wrong with it."""
    if not template:
        return None
    names = set(TILE_PLACEHOLDER.findall(template))
    if not names >= TILE_REQUIRED or not names <= TILE_KNOWN:
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
        [template.replace("{s}", sub) for sub in TILE_SUBDOMAINS]
        if "{s}" in template
        else [template]
    )
    origins = []
    for url in hosts:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in origins:
            origins.append(origin)
    return origins


# The RT app's build in this checkout (`npm run build` in apps/rt, run by `make run`).
DEFAULT_APP_DIR = Path(__file__).resolve().parents[5] / "apps" / "rt" / "dist"
# The verifiers' console (apps/console), built by the same `make app`.
DEFAULT_CONSOLE_DIR = DEFAULT_APP_DIR.parents[1] / "console" / "dist"


class IntakeSettings(ServiceSettings):
    # Where the gateway routes the rest of /v1.
    verification_url: str = "http://127.0.0.1:8001"
    analytics_url: str = "http://127.0.0.1:8002"
    notification_url: str = "http://127.0.0.1:8003"
    identity_url: str = "http://127.0.0.1:8004"
    # Seconds an upstream may take to answer before the gateway gives 504 (SSE streams excepted:
    # they may stay quiet between events).
    upstream_timeout_seconds: float = 10.0
    upstream_connect_timeout_seconds: float = 3.0
    # The merged OpenAPI document (/openapi.json): how long an upstream's part is kept, and after
    # how long one that could not be fetched is asked for again.
    openapi_refresh_seconds: float = 300.0
    openapi_retry_seconds: float = 15.0

    # The RT heads' web app the gateway serves at /app/ (its built files).
    app_dir: Path = DEFAULT_APP_DIR
    # The console of lurah, camat and the city office, at /console/ (its built files).
    console_dir: Path = DEFAULT_CONSOLE_DIR

    # The console's base map (GET /v1/config's `map`, and the pages' img-src): a tile URL
    # template ({z}/{x}/{y}, maybe {s} and {r}; https://… or a path on this origin) and its
    # attribution in plain text. Unset: no tiles are asked for anywhere (check_tile_url says why).
    map_tile_url: str | None = None
    map_attribution: str = ""
    map_max_zoom: int = Field(default=19, ge=1, le=22)

    # How far back an activity may lie when it is reported.
    activity_window_days: int = 90
    city_bounds: dict[str, Bounds] = DEFAULT_CITY_BOUNDS

    # Limits (the body and rate limits of every service are in ServiceSettings). An upload is
    # one photo plus multipart framing.
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photo_pixels: int = 40_000_000
    # A roster of RT heads on its way to identity (its own bound is SIPOKAT_ROSTER_MAX_BYTES).
    max_roster_bytes: int = 2 * 1024 * 1024
    # The bytes photo decodes may hold at once in one process (`decode_cost` of each, in
    # adapters/images.py): two 12 MP phone photos side by side, one 40 MP photo alone; uploads
    # beyond it wait. The decodes run on threads of their own, one a core (adapters/decoding.py).
    photo_decode_budget_bytes: int = Field(default=320 * 1024 * 1024, ge=1)
    photo_decode_threads: int = Field(default=2, ge=1)
    max_page_size: int = 100
    # Uploads are the expensive requests (decode and re-encode): a separate, tighter budget.
    upload_rate_per_second: float = 1.0
    upload_burst: int = 10

    # How long an Idempotency-Key's answer is kept, and after how long an unfinished request's
    # claim is taken to be abandoned (its process died) so a retry may run.
    idempotency_ttl_seconds: int = 24 * 3600
    idempotency_lease_seconds: int = 60

    @field_validator("map_tile_url")
    @classmethod
    def _tile_url(cls, value: str | None) -> str | None:
        return check_tile_url(value)
