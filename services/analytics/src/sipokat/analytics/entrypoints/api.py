"""The leaders' API: each read model for an area and a period, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from sipokat.analytics.domain.areas import area_name, areas_at, cities_of, jurisdiction
from sipokat.analytics.entrypoints.common import Analytics
from sipokat.analytics.entrypoints.params import LEADERS, LeaderScope, respond
from sipokat.analytics.queries import rebuild_status
from sipokat.events.envelope import Role
from sipokat.runtime.auth import Principal, require_roles
from sipokat.runtime.foldversion import rebuild_running
from sipokat.runtime.problems import AUTHENTICATED, problem_responses

router = APIRouter(prefix="/v1/analytics", tags=["analytics"], responses=AUTHENTICATED)
ADMIN = require_roles(Role.ADMIN)

CSV: dict[str, Any] = {"text/csv": {}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, **CSV}},
    503: {"description": "views are being rebuilt; retry after `Retry-After` seconds"},
}


@router.get("/summary", responses=RESPONSES)
async def summary(request: Request, scope: LeaderScope) -> Response:
    """Reports by field (bidang) and kind, with their shares of the whole."""
    result = await scope.reader.summary(scope.area, scope.period)
    return respond(request, result, "laporan-per-bidang")


@router.get("/ranking", responses=RESPONSES)
async def ranking(
    request: Request,
    scope: LeaderScope,
    by: Annotated[Literal["kelurahan", "kecamatan"], Query()] = "kelurahan",
) -> Response:
    """Kelurahan (or kecamatan) ranked by reports per RT, with the raw counts and rank."""
    result = await scope.reader.ranking(by, scope.area, scope.period)
    return respond(request, result, f"peringkat-{by}")


@router.get("/active-rts", responses=RESPONSES)
async def active_rts(request: Request, scope: LeaderScope) -> Response:
    """RTs with at least one report, and one verified report, over the RTs in the directory."""
    return respond(request, await scope.reader.active_rts(scope.area, scope.period), "rt-aktif")


@router.get("/verification", responses=RESPONSES)
async def verification(request: Request, scope: LeaderScope) -> Response:
    """The verification funnel: waiting per tier, approval and rejection rates, median and p90
    hours to a decision, overdue counts per kecamatan and kelurahan."""
    result = await scope.reader.verification(scope.area, scope.period)
    return respond(request, result, "verifikasi")


@router.get("/rt-performance", responses=RESPONSES)
async def rt_performance(request: Request, scope: LeaderScope) -> Response:
    """Verified reports per RT per month and how many count for performance (RT incentives)."""
    result = await scope.reader.rt_performance(scope.area, scope.period)
    return respond(request, result, "kinerja-rt")


@router.get("/funds", responses=RESPONSES)
async def funds(request: Request, scope: LeaderScope) -> Response:
    """Community funds: allocation against verified realised spending, absorption, programmes
    by progress, and the infrastructure/social/economic split against 60/20/20."""
    return respond(request, await scope.reader.funds(scope.area, scope.period), "dana")


@router.get("/timeseries", responses=RESPONSES)
async def timeseries(request: Request, scope: LeaderScope) -> Response:
    """The figures above month by month."""
    return respond(request, await scope.reader.timeseries(scope.area, scope.period), "bulanan")


@router.get("/areas")
async def areas(
    context: Analytics, principal: Annotated[Principal, Depends(LEADERS)]
) -> dict[str, Any]:
    """The caller's area by name, its cities (with the fund programme each runs, if any) and
    the kecamatan and kelurahan the caller may filter by (the dashboard's area picker)."""
    allowed = jurisdiction(principal.role, principal.wilayah)
    directory = context.directory
    if allowed is None:
        return {"wilayah": None, "name": None, "cities": [], "kecamatan": [], "kelurahan": []}
    return {
        "wilayah": allowed.code,
        "name": area_name(allowed, directory),
        "cities": [
            {
                "code": city.code,
                "name": city.name,
                "fund_programme": city.fund_programme.model_dump() if city.fund_programme else None,
            }
            for city in cities_of(allowed, directory)
        ],
        "kecamatan": [{"code": c, "name": n} for c, n in areas_at("kecamatan", allowed, directory)],
        "kelurahan": [{"code": c, "name": n} for c, n in areas_at("kelurahan", allowed, directory)],
    }


@router.post(
    "/rebuild",
    status_code=202,
    dependencies=[Depends(ADMIN)],
    responses=problem_responses({409: "A rebuild is already running"}),
)
async def start_rebuild(context: Analytics) -> JSONResponse:
    """Drop the views and replay the event log (admin). Queries answer 503 until it is done."""
    if not context.views_rebuild.start():
        raise rebuild_running()
    return JSONResponse({"started": True, "status_url": "/v1/analytics/rebuild"}, 202)


@router.get("/rebuild", dependencies=[Depends(ADMIN)])
async def rebuild_state(context: Analytics) -> dict[str, Any]:
    return {"status": await rebuild_status(context.database.views)}
