"""Rebuild: drop the analytics views and replay every event from the event log stream.

While a rebuild runs, the views are marked as rebuilding (a document in the view store, so a
rebuild started by another process is seen too): queries answer 503 with Retry-After, and the
live consumer holds its next event until the replay is done, because folding a report's later
event before the replay reaches its earlier ones would make the replay skip them. After the
replay the live queue resumes; what the replay already applied is dropped by the facts' stream
version. The replay reads in batches and applies each batch in one transaction (documents read
and written in bulk, see `views._Batch`), so memory stays bounded by the batch size, not the log;
the next batch is read and parsed while the previous one is written. It reads over the native stream
protocol when the broker's stream port answers (it then stops right after the log's last entry)
and over AMQP 0-9-1 otherwise (it then stops after `idle` quiet seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog

from sipokat.analytics.views import META, project_batch
from sipokat.events.broker.consumer import BatchHandler, Handler
from sipokat.events.broker.eventlog import pick_reader
from sipokat.events.broker.topology import Topology
from sipokat.events.envelope import Envelope, new_event_id
from sipokat.events.store.base import Database, Document, ViewStore, ViewTransaction

log = structlog.get_logger(__name__)

# Rebuilds running in this process: the live consumer holds off even before the marker is stored.
_rebuilding_here = 0

REBUILD_KEY = "rebuild"
RUNNING = "running"


@dataclass
class RebuildReport:
    state: str
    started_at: str
    finished_at: str | None = None
    events_read: int = 0
    events_applied: int = 0
    unparseable: int = 0
    seconds: float = 0.0
    events_per_second: float = 0.0
    error: str | None = None
    reader: str = ""


async def rebuild_status(views: ViewStore) -> Document | None:
    return await views.get(META, REBUILD_KEY)


async def _mark(views: ViewStore, report: RebuildReport) -> None:
    async def put(tx: ViewTransaction) -> None:
        await tx.put(META, REBUILD_KEY, asdict(report))

    await views.apply_once(new_event_id(), put)


async def _apply(views: ViewStore, batch: list[Envelope]) -> int:
    applied = 0

    async def effect(tx: ViewTransaction) -> None:
        nonlocal applied
        applied = await project_batch(batch, tx)

    # The batch's own id is recorded as applied; the events are guarded by the facts' versions.
    await views.apply_once(new_event_id(), effect)
    return applied


async def rebuild(
    database: Database,
    rabbitmq_url: str,
    topology: Topology,
    *,
    idle: float = 2.0,
    batch_size: int = 5000,
    on_progress: Callable[[RebuildReport], None] | None = None,
    stream_url: str | None = None,
) -> RebuildReport:
    """Drop the views and replay the event log from its first event; the ops CLI calls this.

    Read over the native stream protocol at `stream_url` (default: the AMQP URL's host on port
    5552; "off" never) when it answers, ending right after the log's last entry; otherwise over
    AMQP 0-9-1, ending once no event arrived for `idle` seconds. Raises when the broker
    connection is lost mid-way (the views stay marked as failed until a rebuild succeeds).
    """
    global _rebuilding_here
    views = database.views
    report = RebuildReport(state=RUNNING, started_at=datetime.now(UTC).isoformat())
    _rebuilding_here += 1
    try:
        # Marked before the reset too, so a live consumer in another process stops first.
        await _mark(views, report)
        await views.reset()
        await _mark(views, report)
        with _cyclic_gc_paused():
            return await _replay(
                views, rabbitmq_url, stream_url, topology, report, idle, batch_size, on_progress
            )
    finally:
        _rebuilding_here -= 1


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


async def _replay(
    views: ViewStore,
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
            url, topology, start="first", idle=idle, name="analytics-rebuild"
        ):
            report.events_read += 1
            last_event = time.perf_counter()
            try:
                batch.append(entry.envelope)
            except ValueError:
                report.unparseable += 1  # the live consumer dead-lettered it already
                continue
            if len(batch) >= batch_size:
                # One batch is written while the next is read and parsed; in order.
                await written()
                writing = asyncio.create_task(_apply(views, batch))
                batch = []
        # The last writes are replay work; an idle wait before them (AMQP) is not.
        tail = time.perf_counter()
        await written()
        if batch:
            report.events_applied += await _apply(views, batch)
        last_event += time.perf_counter() - tail
    except BaseException as exc:
        if writing is not None:
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)
        if not isinstance(exc, Exception):
            raise
        report.state, report.error = "failed", f"{type(exc).__name__}: {exc}"
        await _finish(views, report, started, last_event)
        raise
    report.state = "done"
    await _finish(views, report, started, last_event)
    return report


async def _finish(
    views: ViewStore, report: RebuildReport, started: float, last_event: float
) -> None:
    # The idle wait at the end of the log is not replay work: leave it out of the rate.
    report.seconds = round(last_event - started, 3)
    if report.seconds > 0:
        report.events_per_second = round(report.events_read / report.seconds, 1)
    report.finished_at = datetime.now(UTC).isoformat()
    await _mark(views, report)
    log.info("analytics.rebuild", **asdict(report))


class Rebuilds:
    """The service's rebuild: at most one at a time, run in the background."""

    def __init__(
        self,
        database: Database,
        rabbitmq_url: str,
        topology: Topology,
        idle: float,
        stream_url: str | None = None,
    ):
        self.database = database
        self.rabbitmq_url = rabbitmq_url
        self.topology = topology
        self.idle = idle
        self.stream_url = stream_url
        self.task: asyncio.Task[RebuildReport] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> bool:
        if self.running:
            return False
        self.task = asyncio.create_task(
            rebuild(
                self.database,
                self.rabbitmq_url,
                self.topology,
                idle=self.idle,
                stream_url=self.stream_url,
            )
        )
        self.task.add_done_callback(_log_failure)
        return True


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("analytics.rebuild_failed", error=repr(task.exception()))


class _Rebuilding(Exception):
    pass


async def _hold_if_rebuilding(tx: ViewTransaction) -> None:
    # Checked inside the events' transaction: a rebuild's reset cannot slip in between.
    marker = await tx.get(META, REBUILD_KEY)
    if _rebuilding_here or (marker is not None and marker["state"] == RUNNING):
        raise _Rebuilding


def live_batch_handler(database: Database, poll: float = 0.5) -> BatchHandler:
    """The analytics queue's handler for a backlog's events: one transaction, each event once,
    and none while a rebuild runs."""

    async def handle(envelopes: Sequence[Envelope]) -> None:
        async def effect(tx: ViewTransaction, new: frozenset[UUID]) -> None:
            await _hold_if_rebuilding(tx)
            await project_batch([e for e in envelopes if e.event_id in new], tx)

        event_ids = [e.event_id for e in envelopes]
        while True:
            try:
                await database.views.apply_each_once(event_ids, effect)
                return
            except _Rebuilding:
                await asyncio.sleep(poll)

    return handle


def live_handler(database: Database, poll: float = 0.5) -> Handler:
    """`live_batch_handler` for one event."""
    apply_batch = live_batch_handler(database, poll)

    async def handle(envelope: Envelope) -> None:
        await apply_batch([envelope])

    return handle
