"""The read side: a status document per report (with its timeline) and the worklists.

Both are derived from the report's stream in verification's event store, never patched by hand:
`refresh` folds the stream and writes the documents of the state it reaches, inside `apply_once`
keyed by the stream's last event. A document only moves forward (a refresh that read an older
version than the one stored changes nothing), so refreshes from the consumer, a decision and the
scheduler can run in any order, any number of times. `catch_up` follows the store's global
position, so a refresh lost to a crash is made up after a restart, and `rebuild` replays it all.

A report whose documents cannot be written (a value the store cannot hold, an event that no
longer parses) never stops the others: its refresh sets the event aside (reader `READER`, see
`sipokat.events.setaside`) and the catch-up, rebuild, consumer or decision goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sipokat.events.catalogue import ReportRevised, ReportSubmitted
from sipokat.events.envelope import Envelope
from sipokat.events.foldversion import FoldedViews, record_version
from sipokat.events.setaside import SetAside, is_event_fault
from sipokat.events.store.base import (
    Database,
    Document,
    RecordedEvent,
    SetAsideEvent,
    ViewTransaction,
)
from sipokat.verification.domain import Policy, Report, area_of, fold

REPORTS = "reports"
QUEUE = "queue"
META = "verification_meta"  # the fold version
CHECKPOINT = "verification.views"
READER = "verification.views"  # the name its set-aside events carry
# The version of this fold (`sipokat.events.foldversion`): bump it with any change to what the
# documents hold, and every deployment's views are rebuilt when it starts.
FOLD_VERSION = 1
FOLDED = FoldedViews("verification", META, FOLD_VERSION)
_CATCH_UP_BATCH = 500


def sortable(moment: datetime) -> str:
    """A UTC timestamp whose text sorts in time order: view keys are ordered as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def queue_scope(tier: str, area: str) -> str:
    return f"{tier}:{area}"


def timeline_entry(envelope: Envelope) -> Document:
    data = envelope.data
    entry: Document = {
        "version": envelope.stream_version,
        "event": envelope.type,
        "at": envelope.occurred_at.isoformat(),
        "by": envelope.actor.model_dump(mode="json"),
    }
    entry.update(data.model_dump(mode="json", exclude={"report_id", "wilayah", "content"}))
    if isinstance(data, ReportSubmitted | ReportRevised):
        entry["title"] = data.content.title
    return entry


def status_document(state: Report, events: list[Envelope]) -> Document:
    submitted = events[0]
    return {
        "report_id": str(state.report_id),
        "status": str(state.status),
        "tier": state.tier,
        "round": state.round,
        "version": state.version,
        "due_at": state.due_at.isoformat() if state.due_at else None,
        "overdue": state.overdue,
        "counts_for_performance": state.counts_for_performance,
        "wilayah": state.wilayah.model_dump(),
        "content": state.content.model_dump(mode="json"),
        "submitted_by": submitted.actor.subject,
        "submitted_at": submitted.occurred_at.isoformat(),
        "timeline": [timeline_entry(e) for e in events[: state.version]],
    }


def queue_entry(state: Report, events: list[Envelope]) -> tuple[str, Document] | None:
    """The worklist entry of a report waiting for a tier, keyed so that keys sort by due time."""
    if state.tier is None or state.due_at is None:
        return None
    opened = next(e for e in events if e.event_id == state.opened_by)
    content = state.content
    return f"{sortable(state.due_at)}|{state.report_id}", {
        "report_id": str(state.report_id),
        "scope": queue_scope(state.tier, area_of(state.tier, state.wilayah)),
        "tier": str(state.tier),
        "kind": str(content.kind),
        "bidang": str(content.bidang),
        "title": content.title,
        "rt_code": state.wilayah.rt_code,
        "kelurahan_name": state.wilayah.kelurahan_name,
        "round": state.round,
        "version": state.version,
        "waiting_since": opened.occurred_at.isoformat(),
        "due_at": state.due_at.isoformat(),
        "due_key": sortable(state.due_at),
        "overdue": state.overdue,
    }


async def refresh(database: Database, stream_id: str, policy: Policy) -> Report | None:
    """Fold the stream from the event store and bring the report's documents up to it."""
    events = await database.events.read_stream(stream_id)
    state = fold(events, policy)
    if state is None:
        return None

    async def effect(tx: ViewTransaction) -> None:
        await _write_documents(tx, state, events)

    await database.views.apply_once(events[state.version - 1].event_id, effect)
    return state


async def refresh_many(database: Database, stream_ids: Iterable[str], policy: Policy) -> None:
    """`refresh` for many reports in one transaction (a backlog of intake's events)."""
    folded: dict[UUID, tuple[Report, list[Envelope]]] = {}
    for stream_id in dict.fromkeys(stream_ids):
        events = await database.events.read_stream(stream_id)
        state = fold(events, policy)
        if state is not None:
            folded[events[state.version - 1].event_id] = (state, events)

    async def effect(tx: ViewTransaction, new: frozenset[UUID]) -> None:
        for key in new:
            await _write_documents(tx, *folded[key])

    if folded:
        await database.views.apply_each_once(list(folded), effect)


async def _write_documents(tx: ViewTransaction, state: Report, events: list[Envelope]) -> None:
    key = str(state.report_id)
    stored = await tx.get(REPORTS, key)
    if stored is not None and stored["version"] >= state.version:
        return
    if stored is not None and stored.get("queue_key"):
        await tx.delete(QUEUE, stored["queue_key"])
    doc = status_document(state, events)
    entry = queue_entry(state, events)
    doc["queue_key"] = entry[0] if entry else None
    if entry is not None:
        await tx.put(QUEUE, *entry)
    await tx.put(REPORTS, key, doc)


async def refresh_or_set_aside(
    database: Database,
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


async def refresh_set_aside(database: Database, event: SetAsideEvent, policy: Policy) -> None:
    """The retry of a set-aside event: refresh its report, raising while it still fails."""
    if not event.stream_id:
        raise ValueError("the event names no report stream")
    await refresh(database, event.stream_id, policy)


async def catch_up(database: Database, policy: Policy, set_aside: SetAside) -> int:
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


async def rebuild(database: Database, policy: Policy, set_aside: SetAside) -> int:
    """Drop the views and fold them again from the event store. What this reader had set aside
    is let go first: the refold sets aside again whatever still cannot be written. When done,
    the views record the fold's version."""
    await database.views.reset()
    await database.views.release(READER)
    await database.events.save_checkpoint(CHECKPOINT, 0)
    refolded = await catch_up(database, policy, set_aside)
    await record_version(database.views, FOLDED)
    return refolded


async def folded_status(database: Database, stream_id: str, policy: Policy) -> Document | None:
    """A report's status document folded from its stream now, without writing it: the answer
    to a decision whose view could not be written."""
    events = await database.events.read_stream(stream_id)
    state = fold(events, policy)
    return status_document(state, events) if state is not None else None


def public_status(doc: Document) -> dict[str, Any]:
    return {name: value for name, value in doc.items() if name != "queue_key"}
