"""GET /v1/config?wilayah=: what a client's compose screen needs for the city of an area.

Public and cacheable: the kinds and bidang with their words, the report statuses and rejection
reasons with theirs (what the RT app and the console show for the codes), the city's fund
programme (only a city that runs one takes `progres_dana`), the activity-date window with its
rule in words, the limits of photos and texts, and the console's base map
(`SIPOKAT_MAP_TILE_URL`). Each is read from where it is defined (the catalogue, the directory,
intake's settings), never restated here.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sipokat.events.bounds import AREA_CODE, Description, Title, anchored
from sipokat.events.catalogue import FundProgress, PhotoRef, ReportContent, ReportKind
from sipokat.events.labels import (
    BIDANG_DANA_LABELS,
    BIDANG_LABELS,
    KIND_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    labelled,
)
from sipokat.intake.domain import ACTIVITY_DATE_RULE
from sipokat.intake.entrypoints.common import PROBLEM, Intake, today_in_wib
from sipokat.runtime.messages import text
from sipokat.runtime.problems import Problem
from sipokat.wilayah import UnknownWilayah

router = APIRouter(prefix="/v1", tags=["config"])

CACHE_SECONDS = 300


def max_length(constraints: Iterable[Any]) -> int:
    """The max_length among a field's constraints (pydantic's metadata, or the arguments of a
    bounded type of `sipokat.events.bounds` after its base type)."""
    for constraint in constraints:
        if getattr(constraint, "max_length", None) is not None:
            return int(constraint.max_length)
    raise ValueError("no max_length among the constraints")


# Read once: the catalogue does not change while the process runs.
PHOTO_TYPES = list(typing.get_args(PhotoRef.model_fields["content_type"].annotation))
PROGRESS_PERCENT = list(typing.get_args(FundProgress.model_fields["progress_percent"].annotation))
MAX_PHOTOS = max_length(ReportContent.model_fields["photos"].metadata)
TEXT_LIMITS = {
    "title": max_length(typing.get_args(Title)[1:]),
    "description": max_length(typing.get_args(Description)[1:]),
}


class Labelled(BaseModel):
    code: str
    label: dict[str, str]


# The same for every city: made once.
STATUSES = [Labelled.model_validate(s) for s in labelled(STATUS_LABELS)]
REASONS = [Labelled.model_validate(r) for r in labelled(REASON_LABELS)]


class Named(BaseModel):
    code: str
    name: str


class ActivityDate(BaseModel):
    max_age_days: int
    rule: dict[str, str]
    earliest: str
    latest: str


class Photos(BaseModel):
    max_count: int
    max_bytes: int
    types: list[str]


class BaseMap(BaseModel):
    """Where a map's tiles come from: a Leaflet URL template, or None when no tile server is
    configured (the reports are shown over a plain background)."""

    tile_url: str | None
    attribution: str
    max_zoom: int


class ClientConfig(BaseModel):
    city: Named
    kinds: list[Labelled]
    bidang: list[Labelled]
    fund_programme: Named | None
    bidang_dana: list[Labelled]
    statuses: list[Labelled]
    rejection_reasons: list[Labelled]
    progress_percent: list[int]
    activity_date: ActivityDate
    photos: Photos
    text_limits: dict[str, int]
    map: BaseMap


@router.get(
    "/config",
    response_model=ClientConfig,
    responses={404: {"description": "No such area in the directory", **PROBLEM}},
    summary="What a client's compose screen needs for the city of an area (public)",
)
async def config(
    context: Intake,
    wilayah: Annotated[
        str,
        Query(
            max_length=17,
            pattern=anchored(AREA_CODE),
            description="any area code of the city: kota, kecamatan, kelurahan or RT",
            examples=["16.73.02.1019/007"],
        ),
    ],
) -> JSONResponse:
    """No token: nothing here is secret, and the app needs it before its first sign-in ends.
    `progres_dana` is listed only for a city that runs a fund programme. `activity_date`'s
    `earliest` and `latest` are today's bounds in WIB."""
    directory = context.directory
    settings = context.settings
    try:
        if directory.level_of(wilayah) is None:
            raise UnknownWilayah(wilayah)
        city = directory.city(wilayah[:5])  # a code starts with its kota's: 16.73
    except UnknownWilayah as exc:
        raise Problem(
            404,
            "Not found",
            text(
                "no area {code} in the directory",
                "wilayah {code} tidak ada di direktori",
                code=wilayah,
            ),
        ) from exc
    programme = city.fund_programme
    kinds = {
        kind: label
        for kind, label in KIND_LABELS.items()
        if programme is not None or kind is not ReportKind.PROGRES_DANA
    }
    today = today_in_wib()
    window = settings.activity_window_days
    english, indonesian = ACTIVITY_DATE_RULE
    body = ClientConfig(
        city=Named(code=city.code, name=city.name),
        kinds=[Labelled.model_validate(k) for k in labelled(kinds)],
        bidang=[Labelled.model_validate(b) for b in labelled(BIDANG_LABELS)],
        fund_programme=Named(code=programme.code, name=programme.name) if programme else None,
        bidang_dana=[Labelled.model_validate(b) for b in labelled(BIDANG_DANA_LABELS)]
        if programme
        else [],
        statuses=STATUSES,
        rejection_reasons=REASONS,
        progress_percent=PROGRESS_PERCENT,
        activity_date=ActivityDate(
            max_age_days=window,
            rule={
                "id": indonesian.format(window_days=window),
                "en": english.format(window_days=window),
            },
            earliest=(today - timedelta(days=window)).isoformat(),
            latest=today.isoformat(),
        ),
        photos=Photos(
            max_count=MAX_PHOTOS,
            max_bytes=settings.max_photo_bytes,
            types=PHOTO_TYPES,
        ),
        text_limits=TEXT_LIMITS,
        map=BaseMap(
            tile_url=settings.map_tile_url,
            attribution=settings.map_attribution,
            max_zoom=settings.map_max_zoom,
        ),
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"},
    )
