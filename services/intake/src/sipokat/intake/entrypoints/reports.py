"""POST /v1/reports (an RT head submits) and POST /v1/reports/{id}/revisions (resubmits).

Both are `DirectRoute`s: a valid JSON body goes straight to `_submit`/`_revise` without
FastAPI's dependency solving, the rate every RT head's phone adds up to; anything else goes
through FastAPI as documented by the endpoints' signatures, with the same answers.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from sipokat.events.catalogue import ReportContent
from sipokat.events.envelope import Role
from sipokat.intake import handlers
from sipokat.intake.adapters.idempotency import ClaimedIds, fingerprint
from sipokat.intake.entrypoints.common import (
    PROBLEM,
    IdempotencyKeyHeader,
    Intake,
    idempotently,
    intake_of,
    today_in_wib,
)
from sipokat.intake.handlers import IntakeContext
from sipokat.runtime.auth import Principal, require_roles
from sipokat.runtime.direct import DirectRoute, FastPath, is_json, served_directly

router = APIRouter(prefix="/v1", tags=["reports"], route_class=DirectRoute)

rt_head = require_roles(Role.KETUA_RT)
RTHead = Annotated[Principal, Depends(rt_head)]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed JSON or a bad Idempotency-Key", **PROBLEM},
    401: {"description": "No valid bearer token (or its RT is not in the directory)", **PROBLEM},
    403: {"description": "Not an RT head", **PROBLEM},
    413: {"description": "Body too large", **PROBLEM},
    422: {"description": "Each wrong field named, in English or Indonesian", **PROBLEM},
    429: {"description": "Too many requests; see Retry-After", **PROBLEM},
}

EXAMPLES = {
    "kegiatan": {
        "summary": "An activity (kegiatan)",
        "value": {
            "kind": "kegiatan",
            "bidang": "kesehatan_lingkungan",
            "title": "Kerja bakti membersihkan saluran air",
            "description": "Warga RT 007 bergotong royong membersihkan parit Jalan Pelita.",
            "activity_date": "2026-11-21",
            "location": {"latitude": -3.2945, "longitude": 102.8614},
            "photos": [{"sha256": "ab" * 32, "content_type": "image/jpeg"}],
        },
    },
    "usulan": {
        "summary": "A proposal (usulan)",
        "value": {
            "kind": "usulan",
            "bidang": "pembangunan",
            "title": "Perbaikan jalan lingkungan RT 007",
            "description": "Jalan sepanjang 120 m berlubang; diusulkan pengaspalan ulang.",
            "activity_date": "2026-11-20",
        },
    },
    "progres_dana": {
        "summary": "Progress of a funded project (progres_dana, PRODAMAS)",
        "value": {
            "kind": "progres_dana",
            "bidang": "pembangunan",
            "title": "Pembangunan drainase Prodamas",
            "description": "Drainase 60 m selesai separuh.",
            "activity_date": "2026-11-19",
            "fund": {
                "programme": "Prodamas 2026",
                "amount_rupiah": 50000000,
                "progress_percent": 50,
                "bidang_dana": "infrastruktur",
            },
        },
    },
}

ContentBody = Annotated[ReportContent, Body(openapi_examples=EXAMPLES)]


class Accepted(BaseModel):
    report_id: UUID
    status: str
    status_url: str


class RevisionAccepted(Accepted):
    revision: int


def accepted(report_id: UUID, **extra: Any) -> JSONResponse:
    status_url = f"/v1/reports/{report_id}"
    body = {"report_id": str(report_id), "status": "accepted", "status_url": status_url, **extra}
    return JSONResponse(body, status_code=202, headers={"Location": status_url})


async def _submit(
    request: Request,
    principal: Principal,
    context: IntakeContext,
    content: ReportContent,
    idempotency_key: str | None,
) -> Response:
    async def run(ids: ClaimedIds) -> JSONResponse:
        report_id = await handlers.submit_report(
            context, principal, content, request.state.correlation_id, today_in_wib(), ids
        )
        return accepted(report_id)

    request_fingerprint = fingerprint("POST /v1/reports", content.model_dump_json())
    return await idempotently(context, principal, idempotency_key, request_fingerprint, run)


async def _revise(
    request: Request,
    principal: Principal,
    context: IntakeContext,
    report_id: UUID,
    content: ReportContent,
    idempotency_key: str | None,
) -> Response:
    catch_up = functools.partial(
        context.verification.after,
        authorization=request.headers.get("authorization", ""),
        correlation_id=request.state.correlation_id,
    )

    async def run(ids: ClaimedIds) -> JSONResponse:
        revision = await handlers.revise_report(
            context,
            principal,
            report_id,
            content,
            request.state.correlation_id,
            today_in_wib(),
            ids,
            catch_up,
        )
        return accepted(report_id, revision=revision)

    request_fingerprint = fingerprint(f"POST {request.url.path}", content.model_dump_json())
    return await idempotently(context, principal, idempotency_key, request_fingerprint, run)


def _valid_content(request: Request, body: bytes) -> ReportContent | None:
    if not is_json(request):
        return None
    try:
        return ReportContent.model_validate_json(body)
    except ValidationError:
        return None  # FastAPI's handler names every wrong field, as documented


async def submit_directly(request: Request, fastapi: FastPath) -> Response:
    content = _valid_content(request, await request.body())
    if content is None:
        return await fastapi.fallback(request)
    principal = await rt_head(request)
    key = request.headers.get("idempotency-key")
    return await _submit(request, principal, await intake_of(request), content, key)


async def revise_directly(request: Request, fastapi: FastPath) -> Response:
    content = _valid_content(request, await request.body())
    try:
        report_id = UUID(request.path_params["report_id"])
    except ValueError:
        content = None
    if content is None:
        return await fastapi.fallback(request)
    principal = await rt_head(request)
    key = request.headers.get("idempotency-key")
    return await _revise(request, principal, await intake_of(request), report_id, content, key)


@router.post(
    "/reports",
    status_code=202,
    response_model=Accepted,
    responses={**ERRORS, 409: {"description": "Same Idempotency-Key still in flight", **PROBLEM}},
    summary="Submit a report of the caller's own RT",
)
@served_directly(submit_directly)
async def submit_report(
    content: ContentBody,
    request: Request,
    principal: RTHead,
    context: Intake,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Accepted (202) only once the ReportSubmitted event is stored; it is published from the
    store, so a report accepted while the broker is down goes out when it returns. Server-set
    fields (ids, status, submitter, wilayah) are refused if sent: the RT is the token's."""
    return await _submit(request, principal, context, content, idempotency_key)


@router.post(
    "/reports/{report_id}/revisions",
    status_code=202,
    response_model=RevisionAccepted,
    responses={
        **ERRORS,
        404: {"description": "No such report of the caller's RT", **PROBLEM},
        409: {
            "description": "The report is not awaiting revision (`report_status` names its "
            "status as the status API does), or changed meanwhile",
            **PROBLEM,
        },
        503: {
            "description": "Verification could not confirm the rejection; see Retry-After",
            **PROBLEM,
        },
    },
    summary="Send corrected content for the caller's rejected report",
)
@served_directly(revise_directly)
async def revise_report(
    report_id: UUID,
    content: ContentBody,
    request: Request,
    principal: RTHead,
    context: Intake,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Emits ReportRevised; the report goes back to the lurah. Only the RT that owns the report,
    and only while its last decision is a rejection (as intake learns from verification's
    events, asking verification for those it has not heard of yet: a revision sent the moment
    the status shows `awaiting_revision` is taken)."""
    return await _revise(request, principal, context, report_id, content, idempotency_key)
