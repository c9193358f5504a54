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

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sipokat.events.bounds import OptionalNote
from sipokat.events.catalogue import RejectionReason, WilayahPath
from sipokat.events.reportviews import ReportDetail
from sipokat.events.store import UnreadableEvent
from sipokat.runtime.auth import CurrentPrincipal, Principal
from sipokat.runtime.jurisdiction import covers
from sipokat.runtime.messages import Text, text
from sipokat.runtime.problems import AUTHENTICATED, Problem, field_problem, problem_responses
from sipokat.verification import handlers, queries
from sipokat.verification.domain import (
    Approve,
    Command,
    Decider,
    NotAVerifier,
    OutsideJurisdiction,
    Reject,
    Report,
)
from sipokat.verification.entrypoints.common import Verification, not_rebuilding
from sipokat.verification.handlers import VerificationContext

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

# The note's bounds are the events' (a rejection's note must be non-empty: `command_of`).
Note = Annotated[OptionalNote, StringConstraints(strip_whitespace=True)]


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


def _invalid(*errors: tuple[str, Text]) -> Problem:
    listed = [{"pointer": f"/body/{field}", "detail": detail} for field, detail in errors]
    return field_problem("Invalid decision", listed)


NO_REASON_ON_APPROVAL = text(
    "an approval has no reason code", "persetujuan tidak memakai kode alasan"
)
REASON_NEEDED = text("a rejection needs a reason code", "penolakan wajib memakai kode alasan")
NOTE_NEEDED = text(
    "a rejection needs a note telling the RT what to fix",
    "penolakan wajib berisi catatan apa yang harus diperbaiki RT",
)
COUNTS_ON_APPROVAL_ONLY = text(
    "only an approval says whether work counts",
    "hanya persetujuan yang menyatakan apakah kegiatan dihitung",
)


def command_of(body: DecisionBody) -> Command:
    if body.decision == "approve":
        if body.reason_code is not None:
            raise _invalid(("reason_code", NO_REASON_ON_APPROVAL))
        return Approve(note=body.note or None, counts_for_performance=body.counts_for_performance)
    errors = []
    if body.reason_code is None:
        errors.append(("reason_code", REASON_NEEDED))
    if not body.note:
        errors.append(("note", NOTE_NEEDED))
    if body.counts_for_performance is not None:
        errors.append(("counts_for_performance", COUNTS_ON_APPROVAL_ONLY))
    if errors:
        raise _invalid(*errors)
    assert body.reason_code is not None and body.note
    return Reject(reason=body.reason_code, note=body.note)


def _not_found(report_id: UUID) -> Problem:
    return Problem(
        404,
        "Not found",
        text(
            "no report {report_id} that you may see",
            "tidak ada laporan {report_id} yang boleh Anda lihat",
            report_id=report_id,
        ),
    )


# Why a decision does not fit the report as it stands, in Indonesian (the English is the
# domain's own message), by `DecisionConflict.reason`.
CONFLICT_ID = {
    "stale": "laporan sudah di versi {version}, bukan versi yang Anda lihat",
    "closed": "laporan berstatus {status}: tidak ada tingkat yang memutuskan sekarang",
    "wrong_tier": "laporan menunggu tingkat {tier}, bukan tingkat Anda",
    "concurrent": "keputusan lain sudah tercatat lebih dulu",
}


def _conflict_text(exc: handlers.DecisionConflict) -> Text:
    current = exc.current
    indonesian = CONFLICT_ID.get(exc.reason, "keputusan tidak sesuai dengan keadaan laporan")
    return Text(
        str(exc),
        indonesian.format(version=current.version, status=current.status, tier=current.tier),
    )


DECIDED = text("decided", "diputuskan")
SHOWN = text("shown", "ditampilkan")


def _set_aside(
    report_id: UUID, event_id: str, where: WilayahPath | None, principal: Principal, what: Text
) -> Problem:
    """503 for a report that holds an unreadable event, to whoever may see it; 404 otherwise."""
    if where is None or not covers(principal, where):
        return _not_found(report_id)
    return Problem(
        503,
        "Report set aside",
        text(
            "report {report_id} holds an event this service cannot read ({event_id}); it is set "
            "aside for an operator, and the report cannot be {what} until that is dealt with",
            "laporan {report_id} memuat event yang tidak dapat dibaca layanan ini ({event_id}); "
            "event itu disisihkan untuk operator, dan laporan belum dapat {what} sampai hal "
            "itu diselesaikan",
            report_id=report_id,
            event_id=event_id,
            what=what,
        ),
        kind="report-set-aside",
        set_aside={"reader": handlers.READER, "key": event_id},
    )


def _current(state: Report) -> dict[str, Any]:
    return {
        "status": str(state.status),
        "tier": state.tier,
        "version": state.version,
        "round": state.round,
    }


@router.get("/reports/{report_id}", responses={200: {"model": ReportDetail}})
async def report_status(report_id: UUID, context: Verification, principal: CurrentPrincipal) -> Any:
    not_rebuilding(context)
    database = context.database
    doc = await database.views.get(queries.REPORTS, str(report_id))
    where = WilayahPath.model_validate(doc["wilayah"]) if doc is not None else None
    if where is not None and not covers(principal, where):
        raise _not_found(report_id)
    stream_id = handlers.stream_of(report_id)
    if doc is None or doc["version"] < await database.events.stream_version(stream_id):
        # The view is behind the store: its write was set aside (or is a moment away).
        try:
            doc = await queries.folded_status(database, stream_id, context.policy)
        except UnreadableEvent as exc:
            place = where or handlers.placed(exc)
            raise _set_aside(report_id, exc.event_id, place, principal, SHOWN) from exc
        if doc is None or not covers(principal, WilayahPath.model_validate(doc["wilayah"])):
            raise _not_found(report_id)
    return _shown(context, doc)


def _shown(context: VerificationContext, doc: dict[str, Any]) -> dict[str, Any]:
    """The status as a client sees it: with a signed link beside each photo."""
    now = context.clock().timestamp()
    linked = queries.with_links(doc, context.media, now, context.settings.photo_link_seconds)
    return queries.public_status(linked)


@router.get("/reports/{report_id}/events")
async def report_events(
    report_id: UUID,
    context: Verification,
    principal: CurrentPrincipal,
    after: Annotated[int, Query(ge=0, le=1_000_000, description="a stream version")] = 0,
) -> Response:
    """The report's stream after version `after`, as stored here: the envelopes the timeline
    is folded from, for whoever may see the report. Intake asks for them when a client revises
    a rejection it has not heard of yet through the broker (docs/decisions.md)."""
    database = context.database
    doc = await database.views.get(queries.REPORTS, str(report_id))
    if doc is None or not covers(principal, WilayahPath.model_validate(doc["wilayah"])):
        raise _not_found(report_id)
    stream = await database.events.read_stream(handlers.stream_of(report_id))
    events = ",".join(e.to_json().decode() for e in stream if e.stream_version > after)
    version = stream[-1].stream_version if stream else 0
    body = f'{{"report_id":"{report_id}","version":{version},"events":[{events}]}}'
    return Response(body, media_type="application/json")


@router.post(
    "/reports/{report_id}/decisions",
    responses=problem_responses({409: "Not this tier's turn, closed, stale or lost a race"}),
)
async def decide(
    report_id: UUID,
    body: DecisionBody,
    request: Request,
    context: Verification,
    principal: CurrentPrincipal,
) -> Any:
    command = command_of(body)
    decider = Decider(principal.subject, principal.role, principal.wilayah, principal.name)
    try:
        after = await handlers.decide(
            context.database,
            context.append,
            context.policy,
            context.set_aside,
            report_id,
            decider,
            command,
            correlation_id=request.state.correlation_id,
            now=context.clock(),
            expected_version=body.expected_version,
        )
    except NotAVerifier as exc:
        raise Problem(
            403,
            "Forbidden",
            text(
                "role {role} does not verify reports",
                "peran {role} tidak memverifikasi laporan",
                role=principal.role,
            ),
        ) from exc
    except (handlers.ReportNotFound, OutsideJurisdiction) as exc:
        raise _not_found(report_id) from exc
    except handlers.ReportUnreadable as exc:
        raise _set_aside(report_id, exc.event_id, exc.wilayah, principal, DECIDED) from exc
    except handlers.DecisionConflict as exc:
        raise Problem(
            409,
            "Conflict",
            _conflict_text(exc),
            kind="decision-conflict",
            reason=exc.reason,
            current=_current(exc.current),
        ) from exc
    doc = await context.database.views.get(queries.REPORTS, str(report_id))
    if doc is None or doc["version"] < after.version:
        # The decision is recorded; its view could not be written and was set aside.
        doc = await queries.folded_status(
            context.database, handlers.stream_of(report_id), context.policy
        )
    assert doc is not None
    return _shown(context, doc)
