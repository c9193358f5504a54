"""Fold versions: views say which version of their fold made them, and refold when it changed.

A read model's fold (the code that turns events into its documents) declares a version, a
constant next to the fold, bumped by whoever changes what the fold writes. Its views store the
version that folded them, a document in the read model's meta collection, written when a
rebuild finishes (every rebuild: an operator's too, as the rebuild's reset drops it) or, on a
store that holds no views yet, at start-up.

At start-up (`keep_current`) a service compares: views folded by another version, or views that
exist with no version stored (from before versions were kept, or a rebuild that never
finished), are rebuilt in the background the way an operator's rebuild runs, tried again after
a failure until it finishes or the service stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from sipokat.events.envelope import new_event_id
from sipokat.events.store.base import ViewStore, ViewTransaction

log = structlog.get_logger(__name__)

KEY = "fold_version"
FIRST_RETRY_SECONDS = 1.0
LAST_RETRY_SECONDS = 60.0


class Versioned(Protocol):
    """A read model's views as the code folds them now."""

    @property
    def name(self) -> str: ...

    @property
    def meta(self) -> str:
        """The collection that holds the stored version."""
        ...

    @property
    def version(self) -> int: ...


@dataclass(frozen=True)
class FoldedViews:
    name: str
    meta: str
    version: int


async def stored_version(views: ViewStore, folded: Versioned) -> int | None:
    found = await views.get(folded.meta, KEY)
    return int(found["version"]) if found is not None else None


async def record_version(views: ViewStore, folded: Versioned) -> None:
    """The views are now the fold of `folded.version` (called when a rebuild finishes)."""

    async def put(tx: ViewTransaction) -> None:
        at = datetime.now(UTC).isoformat()
        await tx.put(folded.meta, KEY, {"version": folded.version, "recorded_at": at})

    await views.apply_once(new_event_id(), put)


async def outdated(views: ViewStore, folded: Versioned) -> bool:
    """Whether the views were folded by another version than the code's. A store with no views
    at all is not: the version is recorded for what will be folded into it."""
    stored = await stored_version(views, folded)
    if stored == folded.version:
        return False
    # Every view write (and a rebuild's marker) records an applied event: none, no views.
    if stored is None and await views.applied_count() == 0:
        await record_version(views, folded)
        return False
    return True


class BackgroundRebuild:
    """A read model's rebuild: at most one at a time in this process, run in the background."""

    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        self.name = name
        self._run = run
        self.task: asyncio.Task[Any] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> bool:
        if self.running:
            return False
        self.task = asyncio.create_task(self._run())
        self.task.add_done_callback(self._log_failure)
        return True

    def _log_failure(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error(f"{self.name}.rebuild_failed", error=repr(task.exception()))


async def keep_current(
    views: ViewStore,
    folded: Versioned,
    rebuild: BackgroundRebuild,
    stop: asyncio.Event,
    *,
    first_retry: float = FIRST_RETRY_SECONDS,
) -> None:
    """Rebuild the views when `outdated` says so, until a rebuild finishes or `stop` is set
    (the rebuild running then is cancelled: its views keep no version, so the next start
    rebuilds again). The caller checks `outdated` itself before the live consumer starts."""
    delay = first_retry
    while not stop.is_set():
        log.warning(
            f"{folded.name}.fold_version.rebuild",
            stored=await stored_version(views, folded),
            code=folded.version,
        )
        rebuild.start()  # or, when an operator started one just before, follow theirs
        task = rebuild.task
        assert task is not None
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return
        if not task.cancelled() and task.exception() is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        delay = min(delay * 2, LAST_RETRY_SECONDS)
