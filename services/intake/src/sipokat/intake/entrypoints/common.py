"""What intake's routes share: the service's context, today's date in WIB, running a request
once per Idempotency-Key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Header, Response
from fastapi.responses import JSONResponse

from sipokat.intake.adapters.idempotency import ClaimedIds, Decision, StoredResponse, parse_key
from sipokat.intake.handlers import IntakeContext
from sipokat.runtime.auth import Principal
from sipokat.runtime.messages import text
from sipokat.runtime.problems import Problem
from sipokat.runtime.service import context_of

# Dates of activities are judged by the calendar in Indonesia's western time zone (WIB).
WIB = ZoneInfo("Asia/Jakarta")


def today_in_wib() -> date:
    return datetime.now(WIB).date()


# The routes' one dependency; called as it is by the direct routes (reports.py).
intake_of = context_of(IntakeContext)
Intake = Annotated[IntakeContext, Depends(intake_of)]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Send the same key when retrying: the first answer comes back, and no "
        "second report is made. Kept per client for a day (configurable).",
        examples=['"0193b6a4-2c1e-7c55-9f0a-1d2e3f405162"'],
    ),
]

# The OpenAPI content of an error answer.
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}

# Answer headers worth replaying with a stored response.
_REPLAYED = ("location", "content-type")


async def idempotently(
    context: IntakeContext,
    principal: Principal,
    key_header: str | None,
    request_fingerprint: str,
    run: Callable[[ClaimedIds], Awaitable[JSONResponse]],
) -> Response:
    """Run `run` once per (principal, key): a retry gets the stored answer (draft-ietf-httpapi-
    idempotency-key-header); another body under the same key 422; a retry while the first is
    still running 409. `run` writes with the ids it is given: a retry that takes over from a
    process that died mid-request gets the same ones, so it cannot store a second report."""
    if key_header is None:
        return await run(ClaimedIds.fresh())
    key = parse_key(key_header)
    keys = context.idempotency_keys
    actor = principal.as_actor()
    claim = await keys.claim(actor, key, request_fingerprint)
    if claim.decision is Decision.REPLAY:
        assert claim.response is not None
        stored = claim.response
        return Response(
            stored.body,
            status_code=stored.status,
            headers={**stored.headers, "Idempotent-Replayed": "true"},
        )
    if claim.decision is Decision.MISMATCH:
        raise Problem(
            422,
            "Idempotency key reused",
            text(
                "this Idempotency-Key was used for a different request; use a new key",
                "Idempotency-Key ini sudah dipakai untuk permintaan lain; pakai kunci baru",
            ),
        )
    if claim.decision is Decision.IN_FLIGHT:
        raise Problem(
            409,
            "Request in progress",
            text(
                "the first request with this Idempotency-Key is still running; retry later",
                "permintaan pertama dengan Idempotency-Key ini masih diproses; coba lagi nanti",
            ),
            headers={"Retry-After": "1"},
        )
    assert claim.ids is not None
    try:
        response = await run(claim.ids)
    except Exception:
        # Refused (a 4xx): nothing was stored, and the client may fix the body and reuse the
        # key. A cancelled request keeps its claim instead: it may have stored the report, and
        # the retry that takes the claim over once its lease lapses writes with the same ids.
        await keys.release(actor, key)
        raise
    headers = {k: v for k, v in response.headers.items() if k in _REPLAYED}
    body = bytes(response.body).decode()
    await keys.complete(
        actor,
        key,
        request_fingerprint,
        StoredResponse(response.status_code, body, headers),
    )
    return response
