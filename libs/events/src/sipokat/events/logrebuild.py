"""Rebuilding a read model from the event log: drop its views and replay every event.

Shared by the read models that are folds of the log (analytics, notification's inbox). While a
rebuild runs, the views are marked as rebuilding (a document in the view store, so a rebuild
started by another process is seen too): the service's queries may answer 503, and the live
consumer holds its next event until the replay is done, because folding a report's later event
before the replay reaches its earlier ones would make the replay skip them. After the replay the
live queue resumes; what the replay already applied is dropped (by the fold's own guard, e.g. the
stream version of a report's document, or by the applied-event records with `record_events`).
A live handler given its runtime's own rebuild (`here`, per runtime, not per process) holds from
the moment that rebuild is started, before its marker is stored.

When the replay is done, the views record the fold's version (`sipokat.events.foldversion`):
a service that starts with views of another version rebuilds them itself.

The replay reads in batches and applies each batch in one transaction, so memory stays bounded
by the batch size, not the log; the next batch is read and parsed while the previous one is
written. It reads over the native stream protocol when the broker's stream port answers (it then
stops right after the log's last entry) and over AMQP 0-9-1 otherwise (it then stops after
`idle` quiet seconds).

One entry the fold cannot apply (it does not parse, or its effect fails) never fails the
rebuild: it is set aside (reader `<name>.rebuild`, see `sipokat.events.setaside`) and the replay
goes on. A batch that fails is applied again event by event to find it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from uuid import UUID

import structlog

from sipokat.events.broker.consumer import BatchHandler, Handler
from sipokat.events.broker.eventlog import LogEntry, pick_reader
from sipokat.events.broker.topology import Topology
from sipokat.events.envelope import Envelope, new_event_id
from sipokat.events.foldversion import BackgroundRebuild, Versioned, record_version
from sipokat.events.setaside import SetAside, is_event_fault, parsed
from sipokat.events.store.base import (
    Database,
    Document,
    SetAsideEvent,
    ViewStore,
    ViewTransaction,
    apply_each_once_returning,
    apply_once_returning,
)

log = structlog.get_logger(__name__)

REBUILD_KEY = "rebuild"
RUNNING = "running"

# Folds events, in order, into a transaction's documents; returns how many changed anything.
BatchFold = Callable[[Sequence[Envelope], ViewTransaction], Awaitable[int]]


@dataclass(frozen=True)
class LogView:
    """A read model folded from the event log: what its rebuild and live handler need."""

    name: str  # the service: names the set-aside reader and the log reader
    fold: BatchFold
    meta: str  # the collection that holds the rebuild's marker and the fold version
    version: int  # the fold's version (`sipokat.events.foldversion`): bump it with the fold
    # Record every replayed event as applied (not only the batch): the live consumer then
    # takes an event the replay applied as a duplicate, for a fold with effects beyond the
    # views on first application (notification's live pushes).
    record_events: bool = False

    @property
    def reader(self) -> str:
        return f"{self.name}.rebuild"


@dataclass
class RebuildReport:
    state: str
    started_at: str
    finished_at: str | None = None
    events_read: int = 0
    events_applied: int = 0
    unparseable: int = 0
    set_aside: int = 0
    seconds: float = 0.0
    events_per_second: float = 0.0
    error: str | None = None
    reader: str = ""


async def rebuild_status(views: ViewStore, view: Versioned) -> Document | None:
    return await views.get(view.meta, REBUILD_KEY)


async def current_rebuild(
    views: ViewStore, view: Versioned, here: BackgroundRebuild
) -> Document | None:
    """The last (or running) rebuild's report: running as soon as `here` (the runtime's own
    rebuild of the view) is started, when its marker may not be stored yet."""
    status = await rebuild_status(views, view)
    if here.running:
        return {**(status or {}), "state": RUNNING}
    return status


async def _mark(views: ViewStore, view: LogView, report: RebuildReport) -> None:
    async def put(tx: ViewTransaction) -> None:
        await tx.put(view.meta, REBUILD_KEY, asdict(report))

    await views.apply_once(new_event_id(), put)


async def _apply_batch(views: ViewStore, view: LogView, batch: Sequence[Envelope]) -> int:
    if view.record_events:
        unique = list({e.event_id: e for e in batch}.values())

        async def each(tx: ViewTransaction, new: frozenset[UUID]) -> int:
            return await view.fold([e for e in unique if e.event_id in new], tx)

        ids = [e.event_id for e in unique]
        return await apply_each_once_returning(views, ids, each) or 0

    async def effect(tx: ViewTransaction) -> int:
        return await view.fold(batch, tx)

    # The batch's own id is recorded as applied; the events are guarded by the fold.
    return await apply_once_returning(views, new_event_id(), effect) or 0


async def _apply(
    views: ViewStore,
    view: LogView,
    set_aside: SetAside,
    batch: list[Envelope],
    report: RebuildReport,
) -> int:
    """The batch in one transaction; when that fails, event by event, setting aside each that
    cannot be applied."""
    try:
        return await _apply_batch(views, view, batch)
    except Exception as exc:
        if not is_event_fault(exc):
            raise
    applied = 0
    for envelope in batch:
        try:
            applied += await _apply_batch(views, view, [envelope])
        except Exception as exc:
            if not is_event_fault(exc):
                raise
            await set_aside.keep_envelope(view.reader, envelope, exc)
            report.set_aside += 1
    return applied


async def rebuild(
    database: Database,
    view: LogView,
    rabbitmq_url: str,
    topology: Topology,
    *,
    set_aside: SetAside | None = None,
    idle: float = 2.0,
    batch_size: int = 5000,
    on_progress: Callable[[RebuildReport], None] | None = None,
    stream_url: str | None = None,
) -> RebuildReport:
    """Drop the views and replay the event log from its first event.

    Read over the native stream protocol at `stream_url` (default: the AMQP URL's host on port
    5552; "off" never) when it answers, ending right after the log's last entry; otherwise over
    AMQP 0-9-1, ending once no event arrived for `idle` seconds. Raises when the broker
    connection is lost mid-way (the views stay marked as failed until a rebuild succeeds).
    """
    views = database.views
    set_aside = set_aside or SetAside(views)
    report = RebuildReport(state=RUNNING, started_at=datetime.now(UTC).isoformat())
    # Marked before the reset too, so a live consumer in another process stops first.
    await _mark(views, view, report)
    await views.reset()
    # What this reader set aside last time is let go: the replay sets aside again whatever
    # still cannot be applied.
    await views.release(view.reader)
    await _mark(views, view, report)
    with _cyclic_gc_paused():
        return await _replay(
            views,
            view,
            set_aside,
            rabbitmq_url,
            stream_url,
            topology,
            report,
            idle,
            batch_size,
            on_progress,
        )


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector off while the replay runs, on again (and run) after it.

    A replay keeps a batch of thousands of parsed envelopes alive, so they reach the oldest
    generation and every full collection walks them all: a fifth of the replay's time, for
    nothing, as envelopes, documents and the fold free themselves by reference counting (they
    make no reference cycles). What else the process makes meanwhile is collected afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


async def _set_aside_entry(
    set_aside: SetAside, view: LogView, entry: LogEntry, error: Exception
) -> None:
    await set_aside.keep(view.reader, entry.body, error, routing_key=entry.routing_key)


async def _replay(
    views: ViewStore,
    view: LogView,
    set_aside: SetAside,
    rabbitmq_url: str,
    stream_url: str | None,
    topology: Topology,
    report: RebuildReport,
    idle: float,
    batch_size: int,
    on_progress: Callable[[RebuildReport], None] | None,
) -> RebuildReport:
    started = last_event = time.perf_counter()
    batch: list[Envelope] = []
    writing: asyncio.Task[int] | None = None

    async def written() -> None:
        nonlocal writing
        if writing is not None:
            task, writing = writing, None
            report.events_applied += await task
            if on_progress is not None:
                on_progress(report)

    try:
        reader, url = await pick_reader(rabbitmq_url, stream_url)
        report.reader = "native" if url != rabbitmq_url else "amqp"
        async for entry in reader(
            url, topology, start="first", idle=idle, name=f"{view.name}-rebuild"
        ):
            report.events_read += 1
            last_event = time.perf_counter()
            try:
                batch.append(entry.envelope)
            except Exception as exc:  # not an event this code can read: kept, and skipped
                report.unparseable += 1
                report.set_aside += 1
                await _set_aside_entry(set_aside, view, entry, exc)
                continue
            if len(batch) >= batch_size:
                # One batch is written while the next is read and parsed; in order.
                await written()
                writing = asyncio.create_task(_apply(views, view, set_aside, batch, report))
                batch = []
        # The last writes are replay work; an idle wait before them (AMQP) is not.
        tail = time.perf_counter()
        await written()
        if batch:
            report.events_applied += await _apply(views, view, set_aside, batch, report)
        last_event += time.perf_counter() - tail
    except BaseException as exc:
        if writing is not None:
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)
        if not isinstance(exc, Exception):
            raise
        report.state, report.error = "failed", f"{type(exc).__name__}: {exc}"
        await _finish(views, view, report, started, last_event)
        raise
    await record_version(views, view)
    report.state = "done"
    await _finish(views, view, report, started, last_event)
    return report


async def _finish(
    views: ViewStore, view: LogView, report: RebuildReport, started: float, last_event: float
) -> None:
    # The idle wait at the end of the log is not replay work: leave it out of the rate.
    report.seconds = round(last_event - started, 3)
    if report.seconds > 0:
        report.events_per_second = round(report.events_read / report.seconds, 1)
    report.finished_at = datetime.now(UTC).isoformat()
    await _mark(views, view, report)
    log.info(f"{view.name}.rebuild", **asdict(report))


class Rebuilds(BackgroundRebuild):
    """A service's rebuild of one view: at most one at a time, run in the background."""

    def __init__(
        self,
        database: Database,
        view: LogView,
        rabbitmq_url: str,
        topology: Topology,
        idle: float,
        stream_url: str | None = None,
        set_aside: SetAside | None = None,
    ):
        super().__init__(
            view.name,
            lambda: rebuild(
                database,
                view,
                rabbitmq_url,
                topology,
                set_aside=set_aside,
                idle=idle,
                stream_url=stream_url,
            ),
        )
        self.database = database
        self.view = view


class _Rebuilding(Exception):
    pass


async def hold_if_rebuilding(
    tx: ViewTransaction, view: LogView, here: BackgroundRebuild | None = None
) -> None:
    """Raise `_Rebuilding` while a rebuild of `view` runs here or in another process. Called
    inside the live events' transaction: a rebuild's reset cannot slip in between.

    `here` is the runtime's own rebuild of the view (`ServiceRuntime.rebuilds`): it counts as
    running from the moment it is started, even before its marker is stored."""
    if here is not None and here.running:
        raise _Rebuilding
    marker = await tx.get(view.meta, REBUILD_KEY)
    if marker is not None and marker["state"] == RUNNING:
        raise _Rebuilding


async def apply_live(
    views: ViewStore,
    view: LogView,
    envelopes: Sequence[Envelope],
    poll: float = 0.5,
    *,
    here: BackgroundRebuild | None = None,
) -> frozenset[UUID]:
    """Fold live events in one transaction, each once, waiting while a rebuild runs (in another
    process, or `here`: see `hold_if_rebuilding`); returns the ids of those applied now (not
    before, nor by another replica meanwhile): the caller acts on them once (notification
    pushes their inbox items)."""

    async def effect(tx: ViewTransaction, new: frozenset[UUID]) -> frozenset[UUID]:
        await hold_if_rebuilding(tx, view, here)
        fresh = list({e.event_id: e for e in envelopes if e.event_id in new}.values())
        await view.fold(fresh, tx)
        return new

    event_ids = [e.event_id for e in envelopes]
    while True:
        try:
            return await apply_each_once_returning(views, event_ids, effect) or frozenset()
        except _Rebuilding:
            await asyncio.sleep(poll)


def live_batch_handler(
    database: Database,
    view: LogView,
    poll: float = 0.5,
    *,
    here: BackgroundRebuild | None = None,
) -> BatchHandler:
    """The queue's handler for a backlog's events: one transaction, each event once, and none
    while a rebuild runs."""

    async def handle(envelopes: Sequence[Envelope]) -> None:
        await apply_live(database.views, view, envelopes, poll, here=here)

    return handle


def live_handler(
    database: Database,
    view: LogView,
    poll: float = 0.5,
    *,
    here: BackgroundRebuild | None = None,
) -> Handler:
    """`live_batch_handler` for one event."""
    apply_batch = live_batch_handler(database, view, poll, here=here)

    async def handle(envelope: Envelope) -> None:
        await apply_batch([envelope])

    return handle


async def apply_set_aside(
    database: Database,
    view: LogView,
    event: SetAsideEvent,
    *,
    here: BackgroundRebuild | None = None,
) -> None:
    """The retry of an event the rebuild set aside: fold it as the live queue would (raises
    while it still cannot be applied)."""
    await apply_live(database.views, view, [parsed(event)], here=here)
