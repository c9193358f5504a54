"""GET /v1/verification/queue: the reports waiting for the caller's tier in their area."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query

from sipokat.events.bounds import KelurahanCode, RTCode
from sipokat.events.catalogue import Bidang, ReportKind, Tier
from sipokat.events.consoleviews import Worklist
from sipokat.events.envelope import Role
from sipokat.runtime.auth import CurrentPrincipal, Principal
from sipokat.runtime.foldversion import rebuild_running
from sipokat.runtime.messages import Text, text
from sipokat.runtime.problems import AUTHENTICATED, Problem, field_problem, problem_responses
from sipokat.verification.domain import ROLE_TIER
from sipokat.verification.entrypoints.common import Verification, not_rebuilding
from sipokat.verification.entrypoints.listing import inside, outside
from sipokat.verification.queries import (
    QueueFilter,
    queue_page,
    queue_scope,
    with_links,
)
from sipokat.verification.queries.partitions import BadCursor

router = APIRouter(prefix="/v1/verification", tags=["verification"], responses=AUTHENTICATED)


def verifier_tier(principal: Principal) -> Tier:
    """The tier the caller decides, in the area of their token; 403 for any other role."""
    tier = ROLE_TIER.get(principal.role)
    if tier is None:
        raise Problem(
            403,
            "Forbidden",
            text(
                "role {role} has no verification queue",
                "peran {role} tidak punya antrean verifikasi",
                role=principal.role,
            ),
        )
    if not principal.wilayah:
        raise Problem(
            403,
            "Forbidden",
            text(
                "the token names no wilayah to verify for",
                "token tidak menyebut wilayah yang diverifikasi",
            ),
        )
    return tier


@router.get("/queue", response_model=Worklist, summary="The reports waiting for your tier")
async def queue(
    context: Verification,
    principal: CurrentPrincipal,
    kind: ReportKind | None = None,
    bidang: Bidang | None = None,
    overdue: bool | None = None,
    kelurahan: Annotated[
        KelurahanCode | None, Query(description="a kelurahan inside your area")
    ] = None,
    rt: Annotated[RTCode | None, Query(description="an RT inside your area")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    """Oldest due first (the overdue ones lead, as their due time passed). Each item carries
    the report's content and signed photo links, so the console needs no second request."""
    tier = verifier_tier(principal)
    assert principal.wilayah is not None
    for code in (kelurahan, rt):
        if code is not None and not inside(code, principal.wilayah):
            raise outside(code)
    not_rebuilding(context)
    filters = QueueFilter(kind=kind, bidang=bidang, overdue=overdue, kelurahan=kelurahan, rt=rt)
    try:
        page = await queue_page(
            context.database.views,
            queue_scope(tier, principal.wilayah),
            filters,
            cursor=cursor,
            limit=limit,
        )
    except BadCursor as exc:
        detail = Text(str(exc), "kursor tidak valid: pakai `next_cursor` dari halaman sebelumnya")
        raise field_problem(
            "Invalid request", [{"pointer": "/query/cursor", "detail": detail}]
        ) from exc
    now = context.clock().timestamp()
    seconds = context.settings.photo_link_seconds
    page["items"] = [with_links(item, context.media, now, seconds) for item in page["items"]]
    return {"tier": str(tier), "wilayah": principal.wilayah, **page}


@router.post("/rebuild", responses=problem_responses({409: "A rebuild is already running"}))
async def rebuild_views(context: Verification, principal: CurrentPrincipal) -> dict[str, int]:
    """Drop the status and worklist views and fold them again from the event store (admins);
    meanwhile status and queue reads answer 503."""
    if principal.role is not Role.ADMIN:
        raise Problem(
            403,
            "Forbidden",
            text(
                "only an admin may rebuild the views",
                "hanya admin yang boleh membangun ulang tampilan",
            ),
        )
    rebuild = context.views_rebuild
    if not rebuild.start():
        raise rebuild_running()
    assert rebuild.task is not None
    # Shielded: a client that goes away does not cancel the rebuild.
    refreshed: int = await asyncio.shield(rebuild.task)
    return {"reports_refolded": refreshed}
