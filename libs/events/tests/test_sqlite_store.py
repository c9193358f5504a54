"""SQLite specifics the contract suite cannot reach through the public API."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from uuid import uuid4

import pytest

from sipokat.events.store import StoreUnavailable, ViewTransaction, open_database
from sipokat.events.store import sqlite as sqlite_store
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import make_submitted


async def _count(tx: ViewTransaction) -> None:
    await tx.increment("totals", "all", {"n": 1})


def _lock_from_another_process(path: Path) -> sqlite3.Connection:
    """Hold the database's write lock as a replica's write would."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_a_write_waiting_for_another_process_lets_the_loop_go_on(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "shared.db")
    try:
        other = _lock_from_another_process(tmp_path / "shared.db")
        append = asyncio.create_task(db.events.append([make_submitted()]))
        applied = asyncio.create_task(db.views.apply_once(uuid4(), _count))
        ticks = 0
        for _ in range(20):  # the loop keeps running other work while both wait for the lock
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not append.done() and not applied.done()
        other.execute("COMMIT")
        other.close()
        assert (await asyncio.wait_for(append, timeout=5)).appended
        assert await asyncio.wait_for(applied, timeout=5)
        assert await db.views.get("totals", "all") == {"n": 1}
    finally:
        await db.close()


async def test_cancelled_while_waiting_for_the_lock_leaves_no_transaction(tmp_path: Path) -> None:
    # A consumer's handler is cancelled when its broker connection drops: whatever it was
    # waiting for, the writer must not be left inside a transaction holding the write lock.
    db = await SqliteDatabase.open(tmp_path / "views.db")
    try:
        other = _lock_from_another_process(tmp_path / "views.db")
        task = asyncio.create_task(db.views.apply_once(uuid4(), _count))
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        other.execute("ROLLBACK")
        other.close()
        assert not db.writer.conn.in_transaction
        assert await asyncio.wait_for(db.views.apply_once(uuid4(), _count), timeout=5)
        assert await db.views.get("totals", "all") == {"n": 1}
    finally:
        await db.close()


async def test_the_wal_is_checkpointed_off_the_loop_every_so_many_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_store, "_CHECKPOINT_EVERY", 10)
    asked: list[int] = []
    checkpoint_soon = SqliteDatabase._checkpoint_soon

    def counted(self: SqliteDatabase) -> None:
        asked.append(1)
        checkpoint_soon(self)

    monkeypatch.setattr(SqliteDatabase, "_checkpoint_soon", counted)
    db = await SqliteDatabase.open(tmp_path / "wal.db")
    try:
        for _ in range(30):
            await db.events.append([make_submitted()])
        await db.main.run(lambda: None)  # the checkpoints queued on the reader's thread ran
        assert len(asked) == 3
        assert await db.events.last_position() == 30
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
