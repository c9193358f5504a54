"""Rebuild: drop the analytics views and replay every event from the event log stream.

The machinery is the shared log rebuild (`sipokat.events.logrebuild`): while it runs, queries
answer 503 with Retry-After and the live consumer holds its next event; an event the fold
cannot apply is set aside (reader `analytics.rebuild`) and the replay goes on. Analytics
records each replayed batch, not each event, as applied: the facts' stream versions drop what
the live queue delivers again afterwards, and a rebuild of millions of events writes a record
per batch only.
"""

from __future__ import annotations

from sipokat.analytics.views import FOLD_VERSION, META, project_batch
from sipokat.events import logrebuild
from sipokat.events.broker.consumer import BatchHandler, Handler
from sipokat.events.logrebuild import (
    REBUILD_KEY,
    RUNNING,
    LogView,
    RebuildReport,
    Rebuilds,
)
from sipokat.events.store.base import Database, Document, ViewStore

VIEW = LogView("analytics", project_batch, META, FOLD_VERSION)


async def rebuild_status(views: ViewStore) -> Document | None:
    return await logrebuild.rebuild_status(views, VIEW)


def live_batch_handler(database: Database, poll: float = 0.5) -> BatchHandler:
    return logrebuild.live_batch_handler(database, VIEW, poll)


def live_handler(database: Database, poll: float = 0.5) -> Handler:
    return logrebuild.live_handler(database, VIEW, poll)


__all__ = [
    "META",
    "REBUILD_KEY",
    "RUNNING",
    "VIEW",
    "RebuildReport",
    "Rebuilds",
    "live_batch_handler",
    "live_handler",
    "rebuild_status",
]
