"""Upstream routes the gateway documents in its own OpenAPI document, so a client app finds
everything it calls in one place: each is passed on unchanged, like the catch-all does.

`GET /v1/reports` is verification's while `POST /v1/reports` is intake's: without a route here,
the catch-all would find the path to be the gateway's own and answer 405. The other upstream
routes are documented by their services (issue 24 asks for one merged document).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from sipokat.events.bounds import KecamatanCode, KelurahanCode, Month, RTCode
from sipokat.events.catalogue import Bidang, ReportKind
from sipokat.events.consoleviews import ReportMap
from sipokat.events.reportviews import ReportDetail, ReportPage, ReportStatusName
from sipokat.intake.entrypoints.common import PROBLEM, Intake
from sipokat.intake.entrypoints.gateway import pass_on

# Marks an operation the gateway passes on: tests/test_gateway_routes.py checks each against
# its upstream's document, and the fuzz runs them at the upstream, not here.
UPSTREAM = "x-sipokat-upstream"

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token", **PROBLEM},
    403: {"description": "The role has no reports to see", **PROBLEM},
    502: {"description": "Verification could not be reached", **PROBLEM},
    503: {"description": "Its views are being rebuilt; see Retry-After", **PROBLEM},
    504: {"description": "Verification did not answer in time", **PROBLEM},
}

router = APIRouter(prefix="/v1", tags=["reports"])


# The list's filters (verification's `entrypoints/listing.py` says what each means).
Kind = ReportKind | None
Kecamatan = Annotated[KecamatanCode | None, Query()]
Kelurahan = Annotated[KelurahanCode | None, Query()]
RT = Annotated[RTCode | None, Query()]
From = Annotated[Month | None, Query(alias="from", description="the first month, YYYY-MM")]
To = Annotated[Month | None, Query(alias="to", description="the last month, YYYY-MM")]
PeriodBy = Annotated[Literal["activity", "submitted"] | None, Query()]
Text = Annotated[str | None, Query(min_length=1, max_length=100)]


@router.get(
    "/reports",
    response_model=ReportPage,
    responses={
        **ERRORS,
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        422: {"description": "A bad filter, limit or cursor", **PROBLEM},
    },
    summary="The reports you may see, newest first, filtered; or as CSV (verification)",
    openapi_extra={UPSTREAM: "verification"},
)
async def list_reports(
    request: Request,
    context: Intake,
    kind: Kind = None,
    bidang: Bidang | None = None,
    kecamatan: Kecamatan = None,
    kelurahan: Kelurahan = None,
    rt: RT = None,
    first: From = None,
    last: To = None,
    period_by: PeriodBy = None,
    q: Text = None,
    status: ReportStatusName | None = None,
    has_location: bool | None = None,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="a page's next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """An RT head gets their RT's reports, a lurah their kelurahan's, a camat their
    kecamatan's, the city office its kota's, an admin every report; an area, kind, bidang,
    status, period (`from`/`to`, by activity date unless `period_by=submitted`) and text (`q`)
    narrow it (docs/client-app-api.md, "Console and dashboard"). Each photo has a signed `url`
    an `<img>` loads without a token, for about an hour. `format=csv` or `Accept: text/csv`:
    the CSV export."""
    return await pass_on(request, context)


@router.get(
    "/reports/map",
    response_model=ReportMap,
    responses={**ERRORS, 422: {"description": "A bad filter", **PROBLEM}},
    summary="Verified reports with a location, as GeoJSON (verification)",
    openapi_extra={UPSTREAM: "verification"},
)
async def report_map(
    request: Request,
    context: Intake,
    kind: Kind = None,
    bidang: Bidang | None = None,
    kecamatan: Kecamatan = None,
    kelurahan: Kelurahan = None,
    rt: RT = None,
    first: From = None,
    last: To = None,
    period_by: PeriodBy = None,
    q: Text = None,
) -> Response:
    """A GeoJSON FeatureCollection of the verified reports with a location you may see,
    filtered like the list, at most 2,000 features. Declared before `/reports/{report_id}`,
    which would take `map` for an id."""
    return await pass_on(request, context)


@router.get(
    "/reports/{report_id}",
    response_model=ReportDetail,
    responses={**ERRORS, 404: {"description": "No such report that you may see", **PROBLEM}},
    summary="A report's status, timeline and content (verification)",
    openapi_extra={UPSTREAM: "verification"},
)
async def report_status(report_id: UUID, request: Request, context: Intake) -> Response:
    """Its status in the review, who it waits for, the last decision (a rejection's reason and
    note), the full timeline, the content as last sent, and signed photo links."""
    return await pass_on(request, context)
