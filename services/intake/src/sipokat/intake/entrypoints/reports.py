"""POST /v1/reports: an RT head submits a report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from sipokat.events.catalogue import ReportContent
from sipokat.events.envelope import Role
from sipokat.intake import handlers
from sipokat.intake.domain import SubmissionRefused
from sipokat.runtime.auth import Principal, require_roles
from sipokat.runtime.problems import Problem
from sipokat.runtime.service import runtime_of
from sipokat.wilayah import load_default_directory

router = APIRouter(prefix="/v1", tags=["reports"])

# Dates of activities are judged by the calendar in Indonesia's western time zone (WIB).
WIB = ZoneInfo("Asia/Jakarta")


class Accepted(BaseModel):
    report_id: UUID
    status: str
    status_url: str


@router.post("/reports", status_code=202, response_model=Accepted)
async def submit_report(
    content: ReportContent,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(require_roles(Role.KETUA_RT))],
) -> Accepted:
    try:
        report_id = await handlers.submit_report(
            runtime_of(request),
            load_default_directory(),
            principal,
            content,
            request.state.correlation_id,
            datetime.now(WIB).date(),
        )
    except SubmissionRefused as exc:
        if exc.field == "wilayah":
            raise Problem(403, "Forbidden", str(exc)) from exc
        raise Problem(
            422,
            "Invalid report",
            str(exc),
            kind="validation",
            errors=[{"pointer": f"/body/{exc.field}", "detail": str(exc)}],
        ) from exc
    status_url = f"/v1/reports/{report_id}"
    response.headers["Location"] = status_url
    return Accepted(report_id=report_id, status="accepted", status_url=status_url)
