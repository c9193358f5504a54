"""GET /v1/reports: the reports a caller may see, newest first, a page at a time.

An RT head gets their RT's reports, a lurah their kelurahan's, a camat their kecamatan's, the
city office its kota's, an admin every report: the jurisdiction `covers` judges a single report
by. Each photo comes with a signed link an `<img>` can load without a token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from sipokat.events.envelope import Role
from sipokat.events.reportviews import ReportPage, ReportStatusName
from sipokat.runtime.auth import CurrentPrincipal
from sipokat.runtime.messages import Text, text
from sipokat.runtime.problems import AUTHENTICATED, Problem, field_problem, problem_responses
from sipokat.verification.entrypoints.common import Verification, not_rebuilding
from sipokat.verification.queries import LIST_AREA, BadCursor, list_page, with_links

router = APIRouter(
    prefix="/v1",
    tags=["reports"],
    responses={
        **AUTHENTICATED,
        **problem_responses({503: "The views are being rebuilt; see Retry-After"}),
    },
)


@router.get("/reports", response_model=ReportPage, summary="The reports you may see, newest first")
async def list_reports(
    context: Verification,
    principal: CurrentPrincipal,
    status: ReportStatusName | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ReportPage:
    """An RT head's own RT, a lurah's kelurahan, a camat's kecamatan, the city office's kota;
    an admin's every report. Newest submission first; `status` as `GET /v1/reports/{id}`
    names it; `next_cursor` gives the next page."""
    area: tuple[str, str] | None = None
    if principal.role is not Role.ADMIN:
        level = LIST_AREA.get(principal.role)
        if level is None or not principal.wilayah:
            raise Problem(
                403,
                "Forbidden",
                text(
                    "role {role} has no reports of its own area to list",
                    "peran {role} tidak punya daftar laporan wilayahnya",
                    role=principal.role,
                ),
            )
        area = (level, principal.wilayah)
    not_rebuilding(context)
    try:
        entries, next_cursor = await list_page(
            context.database.views, area, status, cursor=cursor, limit=limit
        )
    except BadCursor as exc:
        detail = Text(str(exc), "kursor tidak valid: pakai `next_cursor` dari halaman sebelumnya")
        raise field_problem(
            "Invalid request", [{"pointer": "/query/cursor", "detail": detail}]
        ) from exc
    now = context.clock().timestamp()
    seconds = context.settings.photo_link_seconds
    items = [with_links(entry, context.media, now, seconds) for entry in entries]
    return ReportPage.model_validate({"items": items, "next_cursor": next_cursor})
