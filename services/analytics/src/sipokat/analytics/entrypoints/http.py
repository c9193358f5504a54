"""GET /v1/analytics/summary: reports by field (bidang), kind and kelurahan, with shares."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from sipokat.analytics.domain import with_shares
from sipokat.analytics.views import BY_BIDANG, BY_KELURAHAN, BY_KIND
from sipokat.events.envelope import Role
from sipokat.runtime.auth import Principal, require_roles
from sipokat.runtime.service import runtime_of

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

LEADERS = require_roles(Role.PEMKOT, Role.ADMIN, Role.CAMAT, Role.LURAH)


@router.get("/summary")
async def summary(request: Request, _: Annotated[Principal, Depends(LEADERS)]) -> dict[str, Any]:
    views = runtime_of(request).database.views
    by_bidang = await views.find(BY_BIDANG, limit=1000)
    return {
        "total_reports": sum(row["reports"] for row in by_bidang),
        "by_bidang": with_shares(by_bidang),
        "by_kind": with_shares(await views.find(BY_KIND, limit=1000)),
        "by_kelurahan": with_shares(await views.find(BY_KELURAHAN, limit=10_000)),
    }
