"""GET /v1/verification/decisions: what the caller decided, newest first, with search."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from sipokat.events.bounds import Month, RTCode
from sipokat.events.consoleviews import DecisionPage
from sipokat.runtime.auth import CurrentPrincipal
from sipokat.runtime.problems import AUTHENTICATED, problem_responses
from sipokat.verification.entrypoints.common import Verification, not_rebuilding
from sipokat.verification.entrypoints.listing import BAD_CURSOR, bad_query, period_of
from sipokat.verification.entrypoints.queue import verifier_tier
from sipokat.verification.queries import decisionlist, partitions
from sipokat.verification.queries.decisionlist import DecisionFilter
from sipokat.verification.queries.partitions import DECIDED, BadCursor

router = APIRouter(
    prefix="/v1/verification",
    tags=["verification"],
    responses={
        **AUTHENTICATED,
        **problem_responses({503: "The views are being rebuilt; see Retry-After"}),
    },
)


@router.get(
    "/decisions",
    response_model=DecisionPage,
    responses={422: {"description": "A bad filter, limit or cursor"}},
    summary="Your own decisions, newest first",
)
async def my_decisions(
    context: Verification,
    principal: CurrentPrincipal,
    decision: Literal["approve", "reject"] | None = None,
    rt: Annotated[RTCode | None, Query(description="the report's RT")] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="text in the title or the RT code"),
    ] = None,
    first: Annotated[
        Month | None, Query(alias="from", description="the first month decided in, YYYY-MM (WIB)")
    ] = None,
    last: Annotated[
        Month | None, Query(alias="to", description="the last month decided in, YYYY-MM (WIB)")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DecisionPage:
    """Every approval and rejection the token's subject recorded (in any post they held), each
    with the report as it stands now. Lurah, camat and the city office only."""
    verifier_tier(principal)
    filters = DecisionFilter(decision=decision, rt=rt, q=q, period=period_of(first, last))
    not_rebuilding(context)
    try:
        after = partitions.decode_cursor(cursor, DECIDED) if cursor else ""
    except BadCursor as exc:
        raise bad_query("cursor", BAD_CURSOR) from exc
    scan = filters.scan(context.database.views, principal.subject, after=after)
    entries, next_cursor = await partitions.page(scan, limit)
    items = [partitions.without(entry, decisionlist.HIDDEN) for entry in entries]
    return DecisionPage.model_validate(
        {"items": items, "next_cursor": next_cursor, "complete": scan.complete}
    )
