"""GET /v1/reports/{id}: a report and its timeline, for those whose jurisdiction holds it.

Anyone else gets 404, the same answer as for a report that does not exist, so the API does not
reveal which reports exist.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from sipokat.events.catalogue import WilayahPath
from sipokat.runtime.auth import CurrentPrincipal
from sipokat.runtime.jurisdiction import covers
from sipokat.runtime.problems import Problem
from sipokat.runtime.service import runtime_of
from sipokat.verification.views import REPORTS

router = APIRouter(prefix="/v1", tags=["reports"])


@router.get("/reports/{report_id}")
async def report_status(report_id: UUID, request: Request, principal: CurrentPrincipal) -> Any:
    doc = await runtime_of(request).database.views.get(REPORTS, str(report_id))
    if doc is None or not covers(principal, WilayahPath.model_validate(doc["wilayah"])):
        raise Problem(404, "Not found", f"no report {report_id} that you may see")
    return doc
