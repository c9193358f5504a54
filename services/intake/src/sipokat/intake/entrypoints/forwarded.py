"""Upstream routes the gateway must route itself: each is passed on unchanged, as the catch-all
does.

`GET /v1/reports` is verification's while `POST /v1/reports` is intake's: without a route here,
the catch-all would find the path to be the gateway's own and answer 405. The route stands in the
gateway's own document only so that its 405s name GET too; the merged `/openapi.json` shows
verification's own operation in its place (`adapters/openapi_merge.py`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from sipokat.intake.adapters.openapi_merge import UPSTREAM
from sipokat.intake.entrypoints.common import Intake
from sipokat.intake.entrypoints.gateway import pass_on

router = APIRouter(prefix="/v1", tags=["reports"])


@router.get(
    "/reports",
    summary="The reports you may see (verification's: see its document)",
    openapi_extra={UPSTREAM: "verification"},
)
async def list_reports(request: Request, context: Intake) -> Response:
    return await pass_on(request, context)
