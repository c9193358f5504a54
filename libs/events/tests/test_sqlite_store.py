"""SQLite specifics the contract suite cannot reach through the public API."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from uuid import uuid4

import pytest

from sipokat.events.store import StoreUnavailable, ViewTransaction, open_database
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import make_submitted


async def _count(tx: ViewTransaction) -> None:
    await tx.increment("totals", "all", {"n": 1})


async def test_cancelled_right_after_begin_leaves_no_open_transaction(tmp_path: Path) -> None:
    # A consumer's handler is cancelled when its broker connection drops. Here the cancellation
    # lands exactly when BEGIN IMMEDIATE has run on the writer's thread but the task has not
    # resumed yet: the transaction must still be rolled back, or the writer would hold the
    # database's write lock for good and every later write would fail.
    db = await SqliteDatabase.open(tmp_path / "views.db")
    try:
        writer = db.view_writer.conn
        task = asyncio.create_task(db.views.apply_once(uuid4(), _count))
        await asyncio.sleep(0)  # the task runs up to its first hop: BEGIN on the writer thread
        deadline = time.monotonic() + 5
        while not writer.in_transaction:  # block the loop: the task cannot resume meanwhile
            assert time.monotonic() < deadline, "BEGIN never ran"
            time.sleep(0.0005)  # noqa: ASYNC251 - blocking the loop is the point
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not writer.in_transaction
        assert await asyncio.wait_for(db.views.apply_once(uuid4(), _count), timeout=5)
        await asyncio.wait_for(db.events.append([make_submitted()]), timeout=5)
        assert await db.views.get("totals", "all") == {"n": 1}
    finally:
        await db.close()


async def test_open_database_makes_one_file_per_service(tmp_path: Path) -> None:
    db = await open_database("sqlite", service="verification", data_dir=tmp_path / "var")
    try:
        await db.ping()
        await db.events.append([make_submitted()])
    finally:
        await db.close()
    assert (tmp_path / "var" / "verification.db").is_file()


async def test_open_database_refuses_unknown_or_unconfigured_backends(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="MONGODB_URL"):
        await open_database("mongodb", service="intake")
    with pytest.raises(ValueError, match="unknown store backend"):
        await open_database("postgres", service="intake")  # type: ignore[arg-type]


async def test_closed_database_reports_unavailable(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "x.db")
    await db.close()
    with pytest.raises((StoreUnavailable, RuntimeError)):
        await db.ping()
