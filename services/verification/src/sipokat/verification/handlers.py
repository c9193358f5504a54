"""What verification does for each input: an intake event, a decision, the passing of time.

Each loads the report's stream from verification's own event store, lets the domain decide,
appends at the next version (optimistic concurrency: a stale writer gets `ConcurrencyConflict`)
and brings the views up to the stream. Once an event is recorded, a view that cannot be written
sets it aside (`refresh_or_set_aside`): the input is still answered for what happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

import structlog

from sipokat.events.broker.consumer import BatchHandler, Handler
from sipokat.events.catalogue import ReportRevised, ReportSubmitted, WilayahPath
from sipokat.events.envelope import Actor, Envelope, EventData, Role
from sipokat.events.foldversion import BackgroundRebuild, record_version
from sipokat.events.setaside import SetAside, is_event_fault
from sipokat.events.store.base import (
    CatchUpLog,
    ConcurrencyConflict,
    Database,
    RecordedEvent,
    SetAsideEvent,
    Stores,
    StreamStore,
    UnreadableEvent,
    ViewTransaction,
)
from sipokat.runtime.media import MediaSigner
from sipokat.verification import domain, queries
from sipokat.verification.domain import Command, Decider, NotYourTurn, Policy, Report
from sipokat.verification.queries import decisionlist, reportlist
from sipokat.verification.settings import VerificationSettings

SOURCE = "verification"
# The deadline scheduler acts for the service itself, not for a person.
SCHEDULER = Actor(subject="verification-scheduler", role=Role.SYSTEM)
_OVERDUE_BATCH = 200

Append = Callable[[Sequence[Envelope]], Awaitable[object]]
Clock = Callable[[], datetime]
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class VerificationContext:
    """What verification's handlers, routes and scheduler work with; built once at start-up by
    `bootstrap` (tests pass their own clock through it)."""

    settings: VerificationSettings
    policy: Policy
    clock: Clock
    database: Database
    append: Append  # stores events and wakes the relay
    set_aside: SetAside
    views_rebuild: BackgroundRebuild
    media: MediaSigner  # signs the photo links handed out with a report


class CatchUpStore(StreamStore, CatchUpLog, Protocol):
    """A catch-up's: the outbox from its checkpoint, and the streams of the reports it refreshes."""


def stream_of(report_id: UUID) -> str:
    return f"report-{report_id}"


class ReportNotFound(Exception):
    pass


class ReportUnreadable(Exception):
    """The report's stream holds an event this code cannot read (set aside for an operator):
    the report cannot be decided until that is dealt with."""

    def __init__(self, unreadable: UnreadableEvent) -> None:
        super().__init__(str(unreadable))
        self.event_id = unreadable.event_id
        self.wilayah = placed(unreadable)


def placed(unreadable: UnreadableEvent) -> WilayahPath | None:
    """Where the report lies, from its events before the unreadable one (each carries it)."""
    for envelope in unreadable.readable:
        wilayah = getattr(envelope.data, "wilayah", None)
        if isinstance(wilayah, WilayahPath):
            return wilayah
    return None


class DecisionConflict(Exception):
    """The decision does not fit the report as it stands now (`current`)."""

    def __init__(self, reason: str, detail: str, current: Report) -> None:
        super().__init__(detail)
        self.reason = reason
        self.current = current


def intake_event_handler(
    database: Stores[StreamStore], policy: Policy, set_aside: SetAside
) -> Handler:
    """Record intake's ReportSubmitted / ReportRevised in the report's stream: the aggregate's
    input. Idempotent by event_id, so a redelivery changes nothing."""

    async def handle(envelope: Envelope) -> None:
        if not isinstance(envelope.data, ReportSubmitted | ReportRevised):
            return
        # A version clash here means intake wrote on a state verification never had: retrying
        # cannot fix it, the consumer sets it aside with this error for an operator.
        await database.events.append([envelope], publish=False)
        await refresh_or_set_aside(database, set_aside, envelope.stream_id, policy, envelope)

    return handle


def intake_events_batch_handler(database: Stores[StreamStore], policy: Policy) -> BatchHandler:
    """The same for a backlog of intake's events: their reports' documents in one transaction.

    Each report's new events are appended in one call; the appends of different reports share
    the store's group commit."""

    async def handle(envelopes: Sequence[Envelope]) -> None:
        by_stream: dict[str, dict[UUID, Envelope]] = {}
        for envelope in envelopes:
            if isinstance(envelope.data, ReportSubmitted | ReportRevised):
                by_stream.setdefault(envelope.stream_id, {})[envelope.event_id] = envelope
        await asyncio.gather(
            *(
                database.events.append(list(events.values()), publish=False)
                for events in by_stream.values()
            )
        )
        await refresh_many(database, by_stream, policy)

    return handle


def _envelopes(
    payloads: Sequence[EventData],
    after: Report,
    *,
    actor: Actor,
    correlation_id: str,
    causation_id: UUID,
    now: datetime,
) -> list[Envelope]:
    """Consecutive envelopes after `after`; each later one is caused by the one before it."""
    envelopes: list[Envelope] = []
    for offset, payload in enumerate(payloads, start=1):
        envelope = Envelope.wrap(
            payload,
            stream_version=after.version + offset,
            source=SOURCE,
            actor=actor,
            correlation_id=correlation_id,
            causation_id=causation_id,
            occurred_at=now,
        )
        envelopes.append(envelope)
        causation_id = envelope.event_id
    return envelopes


async def _load(database: Stores[StreamStore], report_id: UUID, policy: Policy) -> Report:
    state = domain.fold(await database.events.read_stream(stream_of(report_id)), policy)
    if state is None:
        raise ReportNotFound(str(report_id))
    return state


async def decide(
    database: Stores[StreamStore],
    append: Append,
    policy: Policy,
    set_aside: SetAside,
    report_id: UUID,
    decider: Decider,
    command: Command,
    *,
    correlation_id: str,
    now: datetime,
    expected_version: int | None = None,
) -> Report:
    """Record a verifier's decision; returns the report as it stands after it."""
    domain.tier_of(decider)  # the role first: its refusal must not depend on the report
    try:
        state = await _load(database, report_id, policy)
    except UnreadableEvent as exc:
        # Kept where operators look (and retried with the report's refresh after a fix).
        await set_aside.keep(READER, exc.body, exc.error, stream_id=exc.stream_id, key=exc.event_id)
        raise ReportUnreadable(exc) from exc
    try:
        payloads = domain.decide(
            state, decider, command, policy, now, expected_version=expected_version
        )
    except NotYourTurn as exc:
        raise DecisionConflict(exc.reason, str(exc), state) from exc
    actor = Actor(subject=decider.subject, role=decider.role, wilayah=decider.wilayah)
    envelopes = _envelopes(
        payloads,
        state,
        actor=actor,
        correlation_id=correlation_id,
        causation_id=state.opened_by,
        now=now,
    )
    try:
        await append(envelopes)
    except ConcurrencyConflict as exc:
        current = await _load(database, report_id, policy)
        await refresh_or_set_aside(database, set_aside, stream_of(report_id), policy, envelopes[-1])
        raise DecisionConflict(
            "concurrent", f"another decision was recorded first ({exc})", current
        ) from exc
    after = await refresh_or_set_aside(
        database, set_aside, stream_of(report_id), policy, envelopes[-1]
    )
    # The decision is recorded even when its view could not be written (then set aside).
    return after if after is not None else await _load(database, report_id, policy)


async def flag_overdue(
    database: Stores[StreamStore],
    append: Append,
    policy: Policy,
    set_aside: SetAside,
    now: datetime,
) -> int:
    """Append VerificationOverdue for every tier whose due time has passed; returns how many.

    The worklist (ordered by due time) says where to look; the stream decides. The fold knows
    whether this tier was flagged in this round, and the append at the next version fails for a
    second scheduler (another replica) that read the same version: one notice, never two.
    """
    flagged = 0
    while True:
        batch = await database.views.find(queries.QUEUE, {"overdue": False}, limit=_OVERDUE_BATCH)
        flagged_now = 0
        for entry in batch:
            if entry["due_key"] > queries.sortable(now):
                break  # the worklist is ordered by due time: nothing later is due either
            report_id = UUID(entry["report_id"])
            flagged_now += await _flag(database, append, policy, set_aside, report_id, now)
        flagged += flagged_now
        # A full batch may hide more due tiers behind it; those flagged just now left the
        # not-overdue set, so the next batch starts further on.
        if flagged_now == 0 or len(batch) < _OVERDUE_BATCH:
            return flagged


async def _flag(
    database: Stores[StreamStore],
    append: Append,
    policy: Policy,
    set_aside: SetAside,
    report_id: UUID,
    now: datetime,
) -> int:
    stream_id = stream_of(report_id)
    events = await database.events.read_stream(stream_id)
    state = domain.fold(events, policy)
    notice = domain.overdue(state, now) if state is not None else None
    flagged = 0
    if not events:
        return 0
    cause = events[-1]
    if state is not None and notice is not None:
        opened = next(e for e in events if e.event_id == state.opened_by)
        envelopes = _envelopes(
            [notice],
            state,
            actor=SCHEDULER,
            correlation_id=opened.correlation_id,
            causation_id=opened.event_id,
            now=now,
        )
        try:
            await append(envelopes)
            flagged, cause = 1, envelopes[-1]
        except ConcurrencyConflict:
            # Someone wrote first (a decision, another replica's notice): the refresh below
            # shows what stands now, and the next scan looks again.
            log.info("overdue.conflict", stream_id=stream_id)
    await refresh_or_set_aside(database, set_aside, stream_id, policy, cause)
    return flagged


# ------------------------------------------------------------ the views' writer
#
# `refresh` folds a report's stream and writes the documents of the state it reaches (see
# `queries`), inside `apply_once` keyed by the stream's last event. A document only moves forward
# (a refresh that read an older version than the one stored changes nothing), so refreshes from
# the consumer, a decision and the scheduler can run in any order, any number of times.
# `catch_up` follows the store's global position, so a refresh lost to a crash is made up after
# a restart, and `rebuild` replays it all. A report whose documents cannot be written (a value
# the store cannot hold, an event that no longer parses) never stops the others: its refresh sets
# the event aside (reader `READER`, see `sipokat.events.setaside`) and the work goes on.

CHECKPOINT = "verification.views"
READER = "verification.views"  # the name its set-aside events carry
_CATCH_UP_BATCH = 500


async def refresh(database: Stores[StreamStore], stream_id: str, policy: Policy) -> Report | None:
    """Fold the stream from the event store and bring the report's documents up to it."""
    events = await database.events.read_stream(stream_id)
    state = domain.fold(events, policy)
    if state is None:
        return None

    async def effect(tx: ViewTransaction) -> None:
        await _write_documents(tx, state, events)

    await database.views.apply_once(events[state.version - 1].event_id, effect)
    return state


async def refresh_many(
    database: Stores[StreamStore], stream_ids: Iterable[str], policy: Policy
) -> None:
    """`refresh` for many reports in one transaction (a backlog of intake's events)."""
    folded: dict[UUID, tuple[Report, list[Envelope]]] = {}
    for stream_id in dict.fromkeys(stream_ids):
        events = await database.events.read_stream(stream_id)
        state = domain.fold(events, policy)
        if state is not None:
            folded[events[state.version - 1].event_id] = (state, events)

    async def effect(tx: ViewTransaction, new: frozenset[UUID]) -> None:
        for key in new:
            await _write_documents(tx, *folded[key])

    if folded:
        await database.views.apply_each_once(list(folded), effect)


async def _write_documents(tx: ViewTransaction, state: Report, events: list[Envelope]) -> None:
    key = str(state.report_id)
    stored = await tx.get(queries.REPORTS, key)
    if stored is not None and stored["version"] >= state.version:
        return
    if stored is not None and stored.get("queue_key"):
        await tx.delete(queries.QUEUE, stored["queue_key"])
    doc = queries.status_document(state, events)
    entry = queries.queue_entry(state, events)
    doc["queue_key"] = entry[0] if entry else None
    if entry is not None:
        await tx.put(queries.QUEUE, *entry)
    before = stored.get("list_entries") if stored is not None else None
    summary = queries.summary(state, events)
    doc["list_entries"] = await reportlist.write(tx, summary, state, events, before)
    await decisionlist.write(tx, state, events)
    await tx.put(queries.REPORTS, key, doc)


async def refresh_or_set_aside(
    database: Stores[StreamStore],
    set_aside: SetAside,
    stream_id: str,
    policy: Policy,
    cause: Envelope | RecordedEvent,
) -> Report | None:
    """`refresh`; when the report's documents cannot be written, set `cause` aside (the event
    that asked for the refresh) and answer None. Store outages are raised, not set aside."""
    try:
        return await refresh(database, stream_id, policy)
    except Exception as exc:
        if not is_event_fault(exc):
            raise
        if isinstance(cause, Envelope):
            await set_aside.keep_envelope(READER, cause, exc)
        else:
            await set_aside.keep(
                READER,
                cause.body,
                exc,
                routing_key=cause.routing_key,
                stream_id=cause.stream_id,
                key=str(cause.event_id),
            )
        return None


async def refresh_set_aside(
    database: Stores[StreamStore], event: SetAsideEvent, policy: Policy
) -> None:
    """The retry of a set-aside event: refresh its report, raising while it still fails."""
    if not event.stream_id:
        raise ValueError("the event names no report stream")
    await refresh(database, event.stream_id, policy)


async def catch_up(database: Stores[CatchUpStore], policy: Policy, set_aside: SetAside) -> int:
    """Refresh every report whose stream changed since the last catch-up; returns how many.

    A batch's reports are refreshed in one transaction; when that fails, one by one, and a
    report that still fails has its latest event of the batch set aside."""
    position = await database.events.load_checkpoint(CHECKPOINT)
    refreshed = 0
    while batch := await database.events.read_from(position, _CATCH_UP_BATCH):
        latest = {e.stream_id: e for e in batch if e.stream_id.startswith("report-")}
        try:
            await refresh_many(database, latest, policy)
        except Exception as exc:
            if not is_event_fault(exc):
                raise
            for stream_id, event in latest.items():
                await refresh_or_set_aside(database, set_aside, stream_id, policy, event)
        refreshed += len(latest)
        position = batch[-1].position
        await database.events.save_checkpoint(CHECKPOINT, position)
        # SQLite's reads and writes run on the loop's thread and need not yield: a catch-up of a
        # large store after a restart held the loop for minutes (no /health/live, no requests).
        await asyncio.sleep(0)
    return refreshed


async def rebuild(database: Stores[CatchUpStore], policy: Policy, set_aside: SetAside) -> int:
    """Drop the views and fold them again from the event store. What this reader had set aside
    is let go first: the refold sets aside again whatever still cannot be written. When done,
    the views record the fold's version."""
    await database.views.reset()
    await database.views.release(READER)
    await database.events.save_checkpoint(CHECKPOINT, 0)
    refolded = await catch_up(database, policy, set_aside)
    await record_version(database.views, queries.FOLDED)
    return refolded
