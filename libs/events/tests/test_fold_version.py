"""The fold version's rules on a real store (`sipokat.events.foldversion`): a fresh store
records the code's version, views with another version or none are outdated, and the start-up
rebuild is tried again after a failure until it finishes."""

from __future__ import annotations

import asyncio

from sipokat.events.envelope import new_event_id
from sipokat.events.foldversion import (
    BackgroundRebuild,
    FoldedViews,
    keep_current,
    outdated,
    record_version,
    stored_version,
)
from sipokat.events.store import Database, ViewTransaction

FOLDED = FoldedViews("test", "test_meta", 3)


async def a_view(tx: ViewTransaction) -> None:
    await tx.put("things", "one", {"n": 1})


async def test_a_fresh_store_records_the_version_and_views_without_one_are_outdated(
    database: Database,
) -> None:
    views = database.views
    assert not await outdated(views, FOLDED)
    assert await stored_version(views, FOLDED) == 3
    await views.reset()  # a rebuild's start, never finished
    await views.apply_once(new_event_id(), a_view)
    assert await outdated(views, FOLDED)
    await record_version(views, FoldedViews("test", "test_meta", 2))
    assert await outdated(views, FOLDED)
    await record_version(views, FOLDED)
    assert not await outdated(views, FOLDED)


async def test_the_start_up_rebuild_is_tried_again_until_it_finishes(database: Database) -> None:
    attempts = 0

    async def flaky_rebuild() -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ConnectionError("broker away")
        await record_version(database.views, FOLDED)

    rebuild = BackgroundRebuild("test", flaky_rebuild)
    await keep_current(database.views, FOLDED, rebuild, asyncio.Event(), first_retry=0.01)
    assert attempts == 3
    assert await stored_version(database.views, FOLDED) == 3
