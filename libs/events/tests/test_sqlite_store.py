"""SQLite specifics the contract suite cannot reach through the public API."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from uuid import uuid4

import pytest

from sipokat.events.store import StoreUnavailable, ViewTransaction, open_database
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.store.sqlite import connections as sqlite_connections
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


def _count_checkpoints(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """When each checkpoint ran, as they run."""
    ran: list[float] = []
    checkpoint = sqlite_connections.Checkpointer._checkpoint

    def counted(self: sqlite_connections.Checkpointer) -> None:
        checkpoint(self)
        ran.append(time.monotonic())

    monkeypatch.setattr(sqlite_connections.Checkpointer, "_checkpoint", counted)
    return ran


async def test_the_wal_is_checkpointed_off_the_loop_every_so_many_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_connections, "_CHECKPOINT_EVERY", 10)
    monkeypatch.setattr(sqlite_connections, "_CHECKPOINT_SECONDS", 3600.0)
    checkpoints = _count_checkpoints(monkeypatch)
    db = await SqliteDatabase.open(tmp_path / "wal.db")
    try:
        for _ in range(30):
            await db.events.append([make_submitted()])
            await db.main.run(lambda: None)  # a checkpoint asked for has run
        assert len(checkpoints) == 3
        assert await db.events.last_position() == 30
    finally:
        await db.close()


@pytest.mark.parametrize("background_every_commit", [True, False], ids=["busy", "never"])
async def test_the_wal_starts_over_while_transactions_come_back_to_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, background_every_commit: bool
) -> None:
    # As in a rebuild: each transaction begins as soon as the one before commits, so the
    # checkpoint on the other thread never ends between two of them by itself; and under load
    # that checkpoint may not even have begun ("never").
    seconds = 0.0 if background_every_commit else 3600.0
    monkeypatch.setattr(sqlite_connections, "_CHECKPOINT_SECONDS", seconds)
    monkeypatch.setattr(sqlite_connections, "_CHECKPOINT_EVERY", 10**9)
    monkeypatch.setattr(sqlite_connections, "_WAL_MOST_BYTES", 256 * 1024)
    checkpoints = _count_checkpoints(monkeypatch)
    db = await SqliteDatabase.open(tmp_path / "views.db")
    wal = tmp_path / "views.db-wal"
    docs_per_transaction, transactions = 100, 60

    async def put_batch(tx: ViewTransaction, batch: int) -> None:
        await tx.put_many(
            "docs",
            {f"{batch}-{i}": {"text": "x" * 1000} for i in range(docs_per_transaction)},
        )

    try:
        largest_wal = 0
        for batch in range(transactions):  # ~1 MiB of pages each, 60 MiB of WAL without the fix
            await db.views.apply_once(uuid4(), lambda tx, b=batch: put_batch(tx, b))
            largest_wal = max(largest_wal, wal.stat().st_size)
        assert checkpoints, "no checkpoint ran"
        # The bound and one transaction: the writer checks before each one.
        assert largest_wal < 2 * 1024 * 1024, f"the WAL grew to {largest_wal} bytes"
        assert (tmp_path / "views.db").stat().st_size > 2 * 1024 * 1024  # copied into the file
        assert await db.views.count("docs") == docs_per_transaction * transactions
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


async def test_ping_answers_while_a_scan_holds_the_reading_thread(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "x.db")
    scanning, done = threading.Event(), threading.Event()

    def long_scan() -> None:
        scanning.set()
        done.wait(10)

    try:
        held = db.main.submit(long_scan)
        assert await asyncio.to_thread(scanning.wait, 5)
        await asyncio.wait_for(db.ping(), timeout=1)
        done.set()
        await held
    finally:
        done.set()
        await db.close()


async def test_closed_database_reports_unavailable(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "x.db")
    await db.close()
    with pytest.raises((StoreUnavailable, RuntimeError)):
        await db.ping()
