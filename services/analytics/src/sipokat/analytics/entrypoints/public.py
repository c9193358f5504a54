"""The public transparency API: verified activity per kelurahan and RT, no token, no people."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sipokat.analytics.entrypoints.params import PublicScope, respond
from sipokat.runtime.problems import problem_responses

router = APIRouter(prefix="/v1/public", tags=["public"])


@router.get(
    "/activity",
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        **problem_responses({503: "Views are being rebuilt; retry after `Retry-After` seconds"}),
    },
)
async def activity(request: Request, scope: PublicScope) -> Response:
    """Verified reports per kelurahan and RT for a period; counts only, nothing about people."""
    result = await scope.reader.public_activity(scope.area, scope.period)
    return respond(request, result, "aktivitas-terverifikasi")
