"""What intake does for each command, and with the events verification publishes; the writers
of its view of photos (queries.py has what the view holds and its reads)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid5

import httpx
import structlog

from sipokat.events.broker.consumer import Handler
from sipokat.events.catalogue import ReportContent, ReportRevised, WilayahPath
from sipokat.events.envelope import Actor, Envelope, EventData
from sipokat.events.store import ConcurrencyConflict, Database, ViewStore, ViewTransaction
from sipokat.intake import domain, queries
from sipokat.intake.adapters.apidocs import UpstreamDocuments
from sipokat.intake.adapters.attachments import AttachmentStore
from sipokat.intake.adapters.decoding import PhotoDecoding
from sipokat.intake.adapters.idempotency import ClaimedIds, IdempotencyKeys, Owns
from sipokat.intake.adapters.images import PhotoRefused
from sipokat.intake.adapters.upstream import VerificationEvents
from sipokat.intake.domain import CleanPhoto, FieldError, Rules
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.auth import Principal
from sipokat.wilayah import Directory, UnknownWilayah

SOURCE = "intake"
log = structlog.get_logger(__name__)

Append = Callable[[Sequence[Envelope]], Awaitable[object]]
# Verification's events of a report after a version (`VerificationEvents.after`, bound to the
# caller's credentials).
CatchUp = Callable[[UUID, int], Awaitable[Sequence[Envelope]]]
# The consumer may record the same events at the same moment; each attempt gets further.
_CATCH_UP_ATTEMPTS = 3
_IDS = UUID("5b8f3c1e-7a4d-4e55-9a51-2f0d6c1b9e70")  # namespace of intake's derived apply ids


@dataclass(frozen=True)
class IntakeContext:
    """What intake's handlers and routes work with; built once at start-up by `bootstrap`, which
    opens the HTTP client and the decoding threads and closes them when the service stops."""

    settings: IntakeSettings
    directory: Directory
    database: Database
    append: Append  # stores events and wakes the relay
    photos: AttachmentStore
    decoding: PhotoDecoding
    idempotency_keys: IdempotencyKeys
    upstream: httpx.AsyncClient  # the gateway's client to the other services
    verification: VerificationEvents
    api_documents: UpstreamDocuments  # the upstreams' OpenAPI documents, for the merged one


class UnknownRT(Exception):
    """The token names an RT the directory does not have: the caller may not submit at all."""

    def __init__(self, error: FieldError) -> None:
        super().__init__(error.message())
        self.error = error


class NotFound(Exception):
    """No such report or photo, or not the caller's to see: the same answer for both."""


async def _rules(
    context: IntakeContext, content: ReportContent, rt_code: str, today: date
) -> Rules:
    shas = [photo.sha256 for photo in content.photos]
    return Rules(
        today=today,
        window_days=context.settings.activity_window_days,
        city_bounds=context.settings.city_bounds,
        photos_of_rt=await queries.photos_of_rt(context.database.views, shas, rt_code),
        fund_cities=context.directory.fund_cities(),
    )


async def _store(
    context: IntakeContext,
    event: EventData,
    version: int,
    principal: Principal,
    cid: str,
    event_id: UUID | None = None,
) -> None:
    envelope = Envelope.wrap(
        event,
        stream_version=version,
        source=SOURCE,
        actor=principal.as_actor(),
        correlation_id=cid,
        event_id=event_id,
    )
    await context.append([envelope])


def own_rt(context: IntakeContext, principal: Principal) -> WilayahPath:
    try:
        return context.directory.rt_path(principal.wilayah or "")
    except UnknownWilayah as exc:
        raise UnknownRT(FieldError("wilayah", "rt_unknown", {"reason": str(exc)})) from exc


async def submit_report(
    context: IntakeContext,
    principal: Principal,
    content: ReportContent,
    cid: str,
    today: date,
    ids: ClaimedIds | None = None,
) -> UUID:
    """Store ReportSubmitted for the caller's own RT; the relay publishes it.

    With the same `ids` a second call stores nothing new (the event id is taken) and returns the
    same report id: that is how a retry after a crash mid-request avoids a second report."""
    ids = ids or ClaimedIds.fresh()
    wilayah = own_rt(context, principal)
    rules = await _rules(context, content, wilayah.rt_code, today)
    event = domain.submission(ids.report_id, content, wilayah, rules)
    shas = [photo.sha256 for photo in content.photos]
    await record_shown_in(context.database.views, ids.report_id, 0, wilayah, shas)
    await _store(context, event, 1, principal, cid, event_id=ids.event_id)
    return ids.report_id


async def revise_report(
    context: IntakeContext,
    principal: Principal,
    report_id: UUID,
    content: ReportContent,
    cid: str,
    today: date,
    ids: ClaimedIds | None = None,
    catch_up: CatchUp | None = None,
) -> int:
    """Store ReportRevised for the owner's rejected report; returns the revision number.

    The state comes from intake's own copy of the whole stream (its submissions and the
    decisions it recorded from verification), and the event is appended at the version after
    the one that state was folded from: a decision recorded in between makes it a conflict.
    A retry with the `ids` of a revision already stored gets that revision's number back.

    Intake hears of a rejection through the broker, after verification shows it: when its copy
    says the report is still in review, `catch_up` brings the events verification holds beyond
    it first, so a client that revises what it was just shown `awaiting_revision` is not refused
    for intake's lag (read your own writes; docs/decisions.md).
    """
    stream = await context.database.events.read_stream(f"report-{report_id}")
    state = domain.fold((e.data, e.stream_version) for e in stream)
    if state is None or state.wilayah.rt_code != principal.wilayah:
        raise NotFound(f"no report {report_id} of RT {principal.wilayah}")
    if ids is not None:
        for stored in stream:
            if stored.event_id == ids.event_id and isinstance(stored.data, ReportRevised):
                return stored.data.revision
    if state.status is domain.ReportStatus.AWAITING_VERIFICATION and catch_up is not None:
        state = await _caught_up(context.database, state, await catch_up(report_id, state.version))
    rules = await _rules(context, content, state.wilayah.rt_code, today)
    event, version = domain.revision(state, content, rules)
    shas = [photo.sha256 for photo in content.photos]
    await record_shown_in(context.database.views, report_id, event.revision, state.wilayah, shas)
    await _store(context, event, version, principal, cid, event_id=ids.event_id if ids else None)
    return event.revision


async def _caught_up(
    database: Database, state: domain.ReportState, newer: Sequence[Envelope]
) -> domain.ReportState:
    """The state after recording `newer` (verification's events beyond `state`) in intake's
    copy of the stream, as the consumer records them when the broker brings them: with
    publish=False, idempotent by event_id, at their own versions, so the revision is appended
    after the last of them and optimistic concurrency holds as before."""
    stream_id = f"report-{state.report_id}"
    for _ in range(_CATCH_UP_ATTEMPTS):
        missing = [e for e in newer if e.stream_version > state.version]
        if not missing:
            break
        # A conflict: the consumer recorded some of them meanwhile; fold, then append the rest.
        with contextlib.suppress(ConcurrencyConflict):
            await database.events.append(missing, publish=False)
        stream = await database.events.read_stream(stream_id)
        folded = domain.fold((e.data, e.stream_version) for e in stream)
        assert folded is not None
        state = folded
    return state


async def upload_photo(context: IntakeContext, principal: Principal, data: bytes) -> CleanPhoto:
    wilayah = own_rt(context, principal)
    # Decoding and encoding take real CPU time and memory: off the event loop, within the
    # process's budget (concurrent uploads wait for each other rather than hold gigabytes).
    try:
        photo = await context.decoding.clean(data, context.settings.max_photo_pixels)
    except PhotoRefused as refused:
        # What Pillow said is for the operator; the client gets the refusal's own words.
        log.info("photo.refused", code=refused.code, reason=refused.reason)
        raise
    await context.photos.put(photo.sha256, photo.data, photo.content_type)
    await record_upload(context.database.views, photo, wilayah.rt_code)
    return photo


async def fetch_photo(
    context: IntakeContext, principal: Principal, sha256: str
) -> tuple[bytes, str]:
    doc = await context.database.views.get(queries.PHOTOS, sha256)
    if doc is None or not queries.may_see(principal, doc):
        raise NotFound(f"no photo {sha256} for this caller")
    data = await context.photos.get(sha256)
    if data is None:
        raise NotFound(f"photo {sha256} is recorded but its bytes are missing")
    return data, str(doc["content_type"])


async def fetch_signed_photo(context: IntakeContext, sha256: str) -> tuple[bytes, str]:
    """A photo by a signed link: whoever signed it judged the caller may see it."""
    doc = await context.database.views.get(queries.PHOTOS, sha256)
    data = await context.photos.get(sha256) if doc is not None else None
    if doc is None or data is None:
        raise NotFound(f"no photo {sha256}")
    return data, str(doc["content_type"])


def made_by(database: Database) -> Owns:
    """Whether an actor submitted or revised a report, by intake's own copy of its stream."""

    async def owns(actor: Actor, report_id: UUID) -> bool:
        stream = await database.events.read_stream(f"report-{report_id}")
        return any(e.source == SOURCE and e.actor == actor for e in stream)

    return owns


def record_decisions(database: Database) -> Handler:
    """Keep verification's events of a report in intake's own copy of its stream.

    Recorded with publish=False: intake's relay publishes only what intake wrote. Appending is
    idempotent by event_id, so a redelivered decision changes nothing; the consumer hands over
    one message at a time in delivery order, so a report's decisions arrive in stream order.
    """

    async def handle(envelope: Envelope) -> None:
        await database.events.append([envelope], publish=False)

    return handle


# ---------------------------------------------------------------- the view of photos
# Every write is an `apply_once` under an id derived from what it records, so a retried upload
# or submission records nothing twice.


async def record_upload(views: ViewStore, photo: CleanPhoto, rt_code: str) -> None:
    async def effect(tx: ViewTransaction) -> None:
        doc = await tx.get(queries.PHOTOS, photo.sha256) or queries.photo_document(photo)
        doc["uploaded_by"] = sorted({*doc["uploaded_by"], rt_code})
        await tx.put(queries.PHOTOS, photo.sha256, doc)

    await views.apply_once(uuid5(_IDS, f"upload {photo.sha256} {rt_code}"), effect)


async def record_shown_in(
    views: ViewStore, report_id: UUID, revision: int, wilayah: WilayahPath, shas: Iterable[str]
) -> None:
    """Let those who see the report see its photos. Recorded before the report's event is
    stored: if that then fails, the RT's own supervisors may see a photo of a report that never
    came, which reveals nothing the RT did not mean to send them."""
    shas = sorted(set(shas))
    if not shas:
        return

    async def effect(tx: ViewTransaction) -> None:
        for sha in shas:
            doc = await tx.get(queries.PHOTOS, sha)
            if doc is None:
                continue
            paths = {p["rt_code"]: p for p in doc["shown_in"]}
            paths[wilayah.rt_code] = wilayah.model_dump()
            doc["shown_in"] = [paths[k] for k in sorted(paths)]
            await tx.put(queries.PHOTOS, sha, doc)

    await views.apply_once(uuid5(_IDS, f"shown {report_id} {revision}"), effect)
