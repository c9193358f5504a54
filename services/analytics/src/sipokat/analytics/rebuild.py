"""Rebuild: drop the analytics views and replay every event from the event log stream.

The machinery is the shared log rebuild (`sipokat.events.logrebuild`): while it runs, queries
answer 503 with Retry-After and the live consumer holds its next event; an event the fold
cannot apply is set aside (reader `analytics.rebuild`) and the replay goes on. Analytics
records each replayed batch, not each event, as applied: the facts' stream versions drop what
the live queue delivers again afterwards, and a rebuild of millions of events writes a record
per batch only.
"""

from __future__ import annotations

from collections.abc import Callable

from sipokat.analytics.views import FOLD_VERSION, META, project_batch
from sipokat.events import logrebuild
from sipokat.events.broker.consumer import BatchHandler, Handler
from sipokat.events.broker.topology import Topology
from sipokat.events.logrebuild import (
    REBUILD_KEY,
    RUNNING,
    LogView,
    RebuildReport,
    Rebuilds,
    _cyclic_gc_paused,
)
from sipokat.events.setaside import SetAside
from sipokat.events.store.base import Database, Document, SetAsideEvent, ViewStore

VIEW = LogView("analytics", project_batch, META, FOLD_VERSION)


async def rebuild_status(views: ViewStore) -> Document | None:
    return await logrebuild.rebuild_status(views, VIEW)


async def rebuild(
    database: Database,
    rabbitmq_url: str,
    topology: Topology,
    *,
    set_aside: SetAside | None = None,
    idle: float = 2.0,
    batch_size: int = 5000,
    on_progress: Callable[[RebuildReport], None] | None = None,
    stream_url: str | None = None,
) -> RebuildReport:
    """Drop the views and replay the event log from its first event; the ops CLI calls this
    (through the service's endpoint) and so does the rebuild benchmark."""
    return await logrebuild.rebuild(
        database,
        VIEW,
        rabbitmq_url,
        topology,
        set_aside=set_aside,
        idle=idle,
        batch_size=batch_size,
        on_progress=on_progress,
        stream_url=stream_url,
    )


def live_batch_handler(database: Database, poll: float = 0.5) -> BatchHandler:
    return logrebuild.live_batch_handler(database, VIEW, poll)


def live_handler(database: Database, poll: float = 0.5) -> Handler:
    return logrebuild.live_handler(database, VIEW, poll)


async def apply_set_aside(database: Database, event: SetAsideEvent) -> None:
    await logrebuild.apply_set_aside(database, VIEW, event)


__all__ = [
    "META",
    "REBUILD_KEY",
    "RUNNING",
    "VIEW",
    "RebuildReport",
    "Rebuilds",
    "_cyclic_gc_paused",
    "apply_set_aside",
    "live_batch_handler",
    "live_handler",
    "rebuild",
    "rebuild_status",
]
