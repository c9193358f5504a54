"""A report's status and timeline, and the decisions of its verifiers.

Object-level authorization: a report the caller may not see answers 404, exactly like a report
that does not exist, so the API does not reveal which reports exist (docs/decisions.md). 403 is
only for a role that may never decide.

A report whose stream holds an event this code cannot read (set aside for an operator) answers
503 `report-set-aside` to whoever may see it, for its status and a decision alike: it exists,
and it is not the client's doing (docs/decisions.md). Whom it may be shown to is judged by the
events before the unreadable one; a report that cannot be placed at all answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sipokat.events.catalogue import RejectionReason, WilayahPath
from sipokat.events.store import UnreadableEvent
from sipokat.runtime.auth import CurrentPrincipal, Principal
from sipokat.runtime.jurisdiction import covers
from sipokat.runtime.problems import AUTHENTICATED, Problem, problem_responses
from sipokat.runtime.service import runtime_of
from sipokat.verification import handlers, views
from sipokat.verification.domain import (
    Approve,
    Command,
    Decider,
    NotAVerifier,
    OutsideJurisdiction,
    Reject,
    Report,
)
from sipokat.verification.entrypoints.context import not_rebuilding, verification_of

router = APIRouter(
    prefix="/v1",
    tags=["reports"],
    responses={
        **AUTHENTICATED,
        **problem_responses(
            {
                404: "No such report that you may see",
                503: "The report holds an event set aside, or the views are being rebuilt",
            }
        ),
    },
)

SET_ASIDE_TITLE = "Report set aside"
SET_ASIDE_DETAIL = (
    "report {report_id} holds an event this service cannot read ({event_id}); it is set aside "
    "for an operator, and the report cannot be {what} until that is dealt with"
)
# The Indonesian of these texts, for the shared message catalogue (issue 19, item 11).
TEXTS_ID = {
    SET_ASIDE_TITLE: "Laporan disisihkan",
    SET_ASIDE_DETAIL: "laporan {report_id} memuat event yang tidak dapat dibaca layanan ini "
    "({event_id}); event itu disisihkan untuk operator, dan laporan belum dapat {what} sampai "
    "hal itu diselesaikan",
    "decided": "diputuskan",
    "shown": "ditampilkan",
}

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reason_code: RejectionReason | None = Field(default=None, description="required to reject")
    note: Note | None = Field(default=None, description="required to reject")
    counts_for_performance: bool | None = Field(
        default=None, description="approve only: whether this is RT work that counts"
    )
    expected_version: int | None = Field(
        default=None, ge=1, description="the report version the verifier saw; 409 if it moved on"
    )


def _invalid(*errors: tuple[str, str]) -> Problem:
    return Problem(
        422,
        "Invalid decision",
        "; ".join(f"/body/{field}: {detail}" for field, detail in errors),
        kind="validation",
        errors=[{"pointer": f"/body/{field}", "detail": detail} for field, detail in errors],
    )


def command_of(body: DecisionBody) -> Command:
    if body.decision == "approve":
        if body.reason_code is not None:
            raise _invalid(("reason_code", "an approval has no reason code"))
        return Approve(note=body.note or None, counts_for_performance=body.counts_for_performance)
    errors = []
    if body.reason_code is None:
        errors.append(("reason_code", "a rejection needs a reason code"))
    if not body.note:
        errors.append(("note", "a rejection needs a note telling the RT what to fix"))
    if body.counts_for_performance is not None:
        errors.append(("counts_for_performance", "only an approval says whether work counts"))
    if errors:
        raise _invalid(*errors)
    assert body.reason_code is not None and body.note
    return Reject(reason=body.reason_code, note=body.note)


def _not_found(report_id: UUID) -> Problem:
    return Problem(404, "Not found", f"no report {report_id} that you may see")


def _set_aside(
    report_id: UUID, event_id: str, where: WilayahPath | None, principal: Principal, what: str
) -> Problem:
    """503 for a report that holds an unreadable event, to whoever may see it; 404 otherwise."""
    if where is None or not covers(principal, where):
        return _not_found(report_id)
    return Problem(
        503,
        SET_ASIDE_TITLE,
        SET_ASIDE_DETAIL.format(report_id=report_id, event_id=event_id, what=what),
        kind="report-set-aside",
        set_aside={"reader": views.READER, "key": event_id},
    )


def _current(state: Report) -> dict[str, Any]:
    return {
        "status": str(state.status),
        "tier": state.tier,
        "version": state.version,
        "round": state.round,
    }


@router.get("/reports/{report_id}")
async def report_status(report_id: UUID, request: Request, principal: CurrentPrincipal) -> Any:
    not_rebuilding(request)
    database = runtime_of(request).database
    doc = await database.views.get(views.REPORTS, str(report_id))
    where = WilayahPath.model_validate(doc["wilayah"]) if doc is not None else None
    if where is not None and not covers(principal, where):
        raise _not_found(report_id)
    stream_id = handlers.stream_of(report_id)
    if doc is None or doc["version"] < await database.events.stream_version(stream_id):
        # The view is behind the store: its write was set aside (or is a moment away).
        try:
            doc = await views.folded_status(database, stream_id, verification_of(request).policy)
        except UnreadableEvent as exc:
            place = where or handlers.placed(exc)
            raise _set_aside(report_id, exc.event_id, place, principal, "shown") from exc
        if doc is None or not covers(principal, WilayahPath.model_validate(doc["wilayah"])):
            raise _not_found(report_id)
    return views.public_status(doc)


@router.post(
    "/reports/{report_id}/decisions",
    responses=problem_responses({409: "Not this tier's turn, closed, stale or lost a race"}),
)
async def decide(
    report_id: UUID, body: DecisionBody, request: Request, principal: CurrentPrincipal
) -> Any:
    runtime = runtime_of(request)
    context = verification_of(request)
    command = command_of(body)
    decider = Decider(principal.subject, principal.role, principal.wilayah, principal.name)
    try:
        after = await handlers.decide(
            runtime.database,
            runtime.append,
            context.policy,
            runtime.set_aside,
            report_id,
            decider,
            command,
            correlation_id=request.state.correlation_id,
            now=context.clock(),
            expected_version=body.expected_version,
        )
    except NotAVerifier as exc:
        raise Problem(403, "Forbidden", str(exc)) from exc
    except (handlers.ReportNotFound, OutsideJurisdiction) as exc:
        raise _not_found(report_id) from exc
    except handlers.ReportUnreadable as exc:
        raise _set_aside(report_id, exc.event_id, exc.wilayah, principal, "decided") from exc
    except handlers.DecisionConflict as exc:
        raise Problem(
            409,
            "Conflict",
            str(exc),
            kind="decision-conflict",
            reason=exc.reason,
            current=_current(exc.current),
        ) from exc
    doc = await runtime.database.views.get(views.REPORTS, str(report_id))
    if doc is None or doc["version"] < after.version:
        # The decision is recorded; its view could not be written and was set aside.
        doc = await views.folded_status(
            runtime.database, handlers.stream_of(report_id), context.policy
        )
    assert doc is not None
    return views.public_status(doc)
