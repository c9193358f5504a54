"""The three connections to a service's SQLite file, and when the WAL is checkpointed.

Writes run on the event loop's own thread, on a connection that never waits for a lock: it asks
for the write lock with a zero busy timeout and, while another process (a replica) holds it,
sleeps and asks again, so the loop goes on meanwhile. A write is microseconds of work; a hop to
a worker thread and back cost several times that, and under load the hops bounded intake's and
the consumers' rates. Lookups by key run on the loop's thread too, on a reading connection of
their own; reads that may scan run on another, on a dedicated thread, each as one function (one
hop), where SQLite releases the GIL while it works.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sipokat.events.store.base import StoreUnavailable
from sipokat.events.store.sqlite.schema import SCHEMA

T = TypeVar("T")

_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
# A WAL checkpoint is asked for after this many commits or seconds with a commit (Checkpointer).
_CHECKPOINT_EVERY = 1000
_CHECKPOINT_SECONDS = 1.0
# What the WAL file is cut back to when it starts over; past it, the writer waits for a
# checkpoint before its next transaction.
_WAL_MOST_BYTES = 64 * 2**20


def _connect(path: str, *, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    # NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    # SQLite reuses the WAL file from its start once it starts over, and never shrinks it.
    conn.execute(f"PRAGMA journal_size_limit={_WAL_MOST_BYTES}")
    return conn


class _Opened:
    """A connection once opened; `conn` refuses once it is closed."""

    _conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreUnavailable("database is closed")
        return self._conn


class ThreadedConnection(_Opened):
    """One sqlite3 connection on its own thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._closed = False

    def connect(self) -> None:
        conn = _connect(self.path, busy_timeout_ms=10_000)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
        self._conn = conn

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue `fn` on the connection's thread now; it runs even if nobody awaits it."""
        if self._closed:
            raise StoreUnavailable("database is closed")
        return asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.submit(fn, *args)

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return await self.run(lambda: self.conn.execute(sql, params).fetchall())

    async def close(self) -> None:
        if self._conn is not None:
            await self.run(self._conn.close)
            self._conn = None
        self._closed = True
        self._thread.shutdown(wait=True)


def rollback_if_open(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class PointReader(_Opened):
    """Reads bounded by an index (a stream's events, one document, a checkpoint, the next batch
    of events after a position) on the event loop's thread: microseconds of work per row, where
    the hop to the reading thread and back cost several times that per event consumed (and, on
    a busy loop, a wait for its turn). A connection of its own, so it never sees the uncommitted
    writes of a transaction open on the writer's (WAL: readers do not wait for writers)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def connect(self) -> None:
        self._conn = _connect(self.path, busy_timeout_ms=100)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class InlineWriter(_Opened):
    """The connection that writes, used on the event loop's thread only (see the module doc).

    Its commits never checkpoint the WAL themselves (a checkpoint writes the database file and
    may take milliseconds): `checkpoints` runs them on the reading connection's thread.
    """

    def __init__(self, path: str, checkpoints: Checkpointer) -> None:
        self.path = path
        self._checkpoints = checkpoints
        self.lock = asyncio.Lock()  # one transaction at a time on this connection

    def connect(self) -> None:
        conn = _connect(self.path, busy_timeout_ms=0)
        conn.execute("PRAGMA wal_autocheckpoint=0")
        self._conn = conn

    async def begin(self) -> sqlite3.Connection:
        """BEGIN IMMEDIATE, waiting for another process's write lock without blocking the loop."""
        conn = self.conn
        await self._checkpoints.before_transaction()
        await when_not_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        return conn

    async def commit(self) -> None:
        conn = self.conn
        await when_not_busy(lambda: conn.execute("COMMIT"))
        self._checkpoints.committed()

    async def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn` inside BEGIN IMMEDIATE ... COMMIT, holding `lock` throughout."""
        async with self.lock:
            conn = await self.begin()
            try:
                result = fn(conn)
                await self.commit()
            except BaseException:
                rollback_if_open(conn)  # a failed COMMIT too must not leave it open
                raise
            return result

    def close(self) -> None:
        if self._conn is not None:
            rollback_if_open(self._conn)
            self._conn.close()
            self._conn = None


class Checkpointer:
    """WAL checkpoints, on the reading connection's thread: their I/O never stalls the loop.

    A checkpoint copies the WAL's pages into the database file; SQLite starts the WAL over only
    at the first write of a transaction that began after a checkpoint had copied everything.
    Transactions back to back (a rebuild, a backlog drained) each begin before the checkpoint on
    the other thread has ended, so the WAL grew without end (a 1M-event run stopped with
    "database or disk is full"): past `_WAL_MOST_BYTES`, the writer waits for a checkpoint
    before its next transaction.

    The WAL file's size tells, because the commit that starts it over cuts it back to that size:
    a stat before each transaction (2 µs) sees this process's own writes. The frame count the
    last background checkpoint saw does not: under load it is one or more commits behind, and
    the WAL outgrew the bound by as many transactions (a CI run caught it).
    """

    def __init__(self, connection: ThreadedConnection) -> None:
        self._connection = connection
        self._wal_path = f"{connection.path}-wal"
        self._running = False  # set here, cleared on the thread: true while one is queued or runs
        self._commits = 0
        self._asked_at = time.monotonic()

    def committed(self) -> None:
        self._commits += 1
        now = time.monotonic()
        if self._commits < _CHECKPOINT_EVERY and now - self._asked_at < _CHECKPOINT_SECONDS:
            return
        self._commits, self._asked_at = 0, now
        if not self._running:  # else that one copies these pages too
            self._running = True
            self._connection.submit(self._checkpoint_in_background)

    async def before_transaction(self) -> None:
        if self._wal_bytes() > _WAL_MOST_BYTES:
            # The WAL starts over at this transaction's first write, and its commit cuts it back.
            await self._connection.run(self._checkpoint)

    def _wal_bytes(self) -> int:
        try:
            return os.stat(self._wal_path).st_size
        except FileNotFoundError:  # not written yet
            return 0

    def _checkpoint_in_background(self) -> None:
        try:
            self._checkpoint()
        finally:
            self._running = False

    def _checkpoint(self) -> None:
        # A busy WAL is checkpointed next time; a closed database needs none.
        with contextlib.suppress(sqlite3.Error, StoreUnavailable):
            self._connection.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


async def when_not_busy(step: Callable[[], object], patience: float = 10.0) -> None:
    """Run `step`; while the database is locked by another connection, sleep and try again."""
    deadline = time.monotonic() + patience
    pause = 0.0005
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in _BUSY or time.monotonic() > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)
