"""SQLite backend: the embedded default, one file per service, zero set-up.

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
import functools
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import orjson

from sipokat.events.envelope import Envelope
from sipokat.events.store.base import (
    AppendResult,
    BatchEffect,
    ConcurrencyConflict,
    Document,
    Effect,
    RecordedEvent,
    StoreUnavailable,
    as_batch_effect,
    check_batch,
)

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL UNIQUE,
    stream_id      TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    type           TEXT NOT NULL,
    routing_key    TEXT NOT NULL,
    body           BLOB NOT NULL,
    publish        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (stream_id, stream_version)
);
-- The relay's read: its checkpoint stays at the last event it published, so without this the
-- unpublished rows after it would be scanned again on every poll.
CREATE INDEX IF NOT EXISTS events_publishable ON events (position) WHERE publish = 1;
CREATE TABLE IF NOT EXISTS leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS view_documents (
    collection TEXT NOT NULL,
    key        TEXT NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (collection, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applied_events (
    event_id TEXT PRIMARY KEY
) WITHOUT ROWID;
"""


def _connect(path: str, *, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    # NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    # SQLite reuses the WAL file from its start once it starts over, and never shrinks it.
    conn.execute(f"PRAGMA journal_size_limit={_WAL_KEPT_BYTES}")
    return conn


class _Opened:
    """A connection once opened; `conn` refuses once it is closed."""

    _conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreUnavailable("database is closed")
        return self._conn


class _Connection(_Opened):
    """One sqlite3 connection on its own thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")

    def connect(self) -> None:
        conn = _connect(self.path, busy_timeout_ms=10_000)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        self._conn = conn

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue `fn` on the connection's thread now; it runs even if nobody awaits it."""
        return asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.submit(fn, *args)

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return await self.run(lambda: self.conn.execute(sql, params).fetchall())

    async def close(self) -> None:
        if self._conn is not None:
            await self.run(self._conn.close)
            self._conn = None
        self._thread.shutdown(wait=True)


def rollback_if_open(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
# A WAL checkpoint is asked for after this many commits or seconds with a commit (_Checkpointer).
_CHECKPOINT_EVERY = 1000
_CHECKPOINT_SECONDS = 1.0
# Past this many frames (64 MiB of 4 KiB pages) in the WAL, the writer waits for a checkpoint
# before its next transaction; and what the WAL file is cut back to when it starts over.
_WAL_MOST_FRAMES = 16_384
_WAL_KEPT_BYTES = 64 * 2**20


class _PointReader(_Opened):
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


class _InlineWriter(_Opened):
    """The connection that writes, used on the event loop's thread only (see the module doc).

    Its commits never checkpoint the WAL themselves (a checkpoint writes the database file and
    may take milliseconds): `checkpoints` runs them on the reading connection's thread.
    """

    def __init__(self, path: str, checkpoints: _Checkpointer) -> None:
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
        await _when_not_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        return conn

    async def commit(self) -> None:
        conn = self.conn
        await _when_not_busy(lambda: conn.execute("COMMIT"))
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


class _Checkpointer:
    """WAL checkpoints, on the reading connection's thread: their I/O never stalls the loop.

    A checkpoint copies the WAL's pages into the database file; SQLite starts the WAL over only
    at the first write of a transaction that began after a checkpoint had copied everything.
    Transactions back to back (a rebuild, a backlog drained) each begin before the checkpoint on
    the other thread has ended, so the WAL grew without end (a 1M-event run stopped with
    "database or disk is full"): past `_WAL_MOST_FRAMES`, the writer waits for a checkpoint
    before its next transaction.
    """

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection
        self._running = False  # set here, cleared on the thread: true while one is queued or runs
        self._commits = 0
        self._asked_at = time.monotonic()
        self.wal_frames = 0  # in the WAL at the last checkpoint

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
        if self.wal_frames > _WAL_MOST_FRAMES:
            await self._connection.run(self._checkpoint)
            self.wal_frames = 0  # the WAL starts over at this transaction's first write

    def _checkpoint_in_background(self) -> None:
        try:
            self._checkpoint()
        finally:
            self._running = False

    def _checkpoint(self) -> None:
        try:
            row = self._connection.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except (sqlite3.Error, StoreUnavailable):
            return  # a busy WAL is checkpointed next time; a closed database needs none
        self.wal_frames = row[1]


async def _when_not_busy(step: Callable[[], object], patience: float = 10.0) -> None:
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


class SqliteDatabase:
    """A service's SQLite file: its event store (`events`) and its read-model views (`views`).

    Three connections: `writer`, on the event loop's thread, makes every write; `point`, on the
    loop's thread too, runs the reads bounded by an index (a key, or a range of positions with a
    LIMIT); `main`, on a thread of its own, runs the reads that scan (counts) and the WAL
    checkpoints. WAL mode lets readers go on while a writer works.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.main = _Connection(self.path)
        self.point = _PointReader(self.path)
        self.writer = _InlineWriter(self.path, _Checkpointer(self.main))
        self.events = SqliteEventStore(self.main, self.point, self.writer)
        self.views = SqliteViewStore(self.main, self.point, self.writer)

    @classmethod
    async def open(cls, path: str | Path) -> SqliteDatabase:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = cls(path)
        await db.main.run(db.main.connect)  # creates the schema
        db.point.connect()
        db.writer.connect()
        return db

    async def ping(self) -> None:
        try:
            await self.main.query("SELECT 1")
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def close(self) -> None:
        async with self.writer.lock:
            self.writer.close()
        self.point.close()
        await self.main.close()


class _GroupCommit:
    """Appends that arrive while a commit waits or runs go into the next one, together.

    One transaction per append would cost a BEGIN and a COMMIT each; under load the appends of
    all concurrent requests share them instead. An append that conflicts leaves
    nothing behind and fails only its own caller, never the others in the group.
    """

    def __init__(self, writer: _InlineWriter) -> None:
        self._writer = writer
        self._waiting: list[tuple[list[tuple[Any, ...]], asyncio.Future[AppendResult]]] = []
        self._committing = False

    async def append(self, rows: list[tuple[Any, ...]]) -> AppendResult:
        outcome: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, outcome))
        if not self._committing:
            self._committing = True
            # A task of its own: the group must commit even if this caller is cancelled.
            asyncio.get_running_loop().create_task(self._commit_all())
        return await outcome

    async def _commit_all(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    results = await self._writer.transaction(
                        functools.partial(_append_group, group=group)
                    )
                except BaseException as exc:  # the whole transaction failed: tell every caller
                    results = [exc] * len(group)
                for (_, outcome), result in zip(group, results, strict=True):
                    if outcome.done():
                        continue  # its caller went away; the append stands (or failed) anyway
                    if isinstance(result, BaseException):
                        outcome.set_exception(result)
                    else:
                        outcome.set_result(result)
        finally:
            self._committing = False


def _append_group(
    conn: sqlite3.Connection,
    *,
    group: list[tuple[list[tuple[Any, ...]], asyncio.Future[AppendResult]]],
) -> list[AppendResult | BaseException]:
    results: list[AppendResult | BaseException] = []
    for rows, _ in group:
        try:
            results.append(_append(conn, rows))
        except ConcurrencyConflict as exc:  # _append has left nothing of this append behind
            results.append(exc)
    return results


class SqliteEventStore:
    def __init__(self, conn: _Connection, point: _PointReader, writer: _InlineWriter) -> None:
        self._conn = conn
        self._point = point
        self._writer = writer
        self._group_commit = _GroupCommit(writer)

    async def append(self, events: Sequence[Envelope], *, publish: bool = True) -> AppendResult:
        check_batch(events)
        rows = [
            (
                str(e.event_id),
                e.stream_id,
                e.stream_version,
                e.type,
                e.routing_key,
                e.to_json(),
                int(publish),
            )
            for e in events
        ]
        return await self._group_commit.append(rows)

    async def read_stream(self, stream_id: str) -> list[Envelope]:
        rows = self._point.query(
            "SELECT body FROM events WHERE stream_id = ? ORDER BY stream_version", (stream_id,)
        )
        return [Envelope.from_json(body) for (body,) in rows]

    async def stream_version(self, stream_id: str) -> int:
        return _stream_version(self._point.conn, stream_id)

    async def read_from(
        self, after_position: int, limit: int, *, publishable_only: bool = False
    ) -> list[RecordedEvent]:
        only = " AND publish = 1" if publishable_only else ""
        rows = self._point.query(
            "SELECT position, event_id, stream_id, stream_version, routing_key, body "
            f"FROM events WHERE position > ?{only} ORDER BY position LIMIT ?",
            (after_position, limit),
        )
        return [
            RecordedEvent(pos, UUID(eid), sid, ver, key, bytes(body))
            for pos, eid, sid, ver, key, body in rows
        ]

    async def last_position(self) -> int:
        rows = await self._conn.query("SELECT max(position) FROM events")
        return int(rows[0][0] or 0)

    async def count_publishable_after(self, position: int) -> int:
        rows = await self._conn.query(
            "SELECT count(*) FROM events WHERE position > ? AND publish = 1", (position,)
        )
        return int(rows[0][0])

    async def load_checkpoint(self, name: str) -> int:
        rows = self._point.query("SELECT position FROM checkpoints WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else 0

    # The relay's bookkeeping goes through the inline writer like every other write: on the
    # reading connection it waited on SQLite's busy handler, which a writer committing back to
    # back under load starved for seconds per batch (the relay fell minutes behind intake).
    async def save_checkpoint(self, name: str, position: int) -> None:
        def save(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO checkpoints (name, position) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (name, position),
            )

        await self._writer.transaction(save)

    async def hold_lease(self, name: str, holder: str, ttl: float) -> bool:
        return await self._writer.transaction(lambda conn: _hold_lease(conn, name, holder, ttl))


def _hold_lease(conn: sqlite3.Connection, name: str, holder: str, ttl: float) -> bool:
    now = time.time()
    row = conn.execute("SELECT holder, expires_at FROM leases WHERE name = ?", (name,)).fetchone()
    if row is not None and row[0] != holder and row[1] > now:
        return False
    conn.execute(
        "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
        "expires_at = excluded.expires_at",
        (name, holder, now + ttl),
    )
    return True


def _stream_version(conn: sqlite3.Connection, stream_id: str) -> int:
    row = conn.execute(
        "SELECT max(stream_version) FROM events WHERE stream_id = ?", (stream_id,)
    ).fetchone()
    return int(row[0] or 0)


_INSERT = (
    "INSERT INTO events (event_id, stream_id, stream_version, type, routing_key, body, publish) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _append(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> AppendResult:
    """Insert first, ask questions on failure: the unique indexes on event_id and on
    (stream_id, stream_version) refuse a retry or a stale writer, and only then is it worth
    finding out which of the two it was. The one check they cannot make is that the previous
    version exists (no gaps), one index lookup for all but a stream's first event."""
    stream_id, first_version = rows[0][1], rows[0][2]
    if first_version > 1 and not _has_version(conn, stream_id, first_version - 1):
        return _refused(conn, rows)
    multi = len(rows) > 1
    if multi:  # a single INSERT that fails leaves nothing; several need undoing together
        conn.execute("SAVEPOINT multi")
    try:
        positions = [int(conn.execute(_INSERT, row).lastrowid or 0) for row in rows]
    except sqlite3.IntegrityError:
        if multi:
            conn.execute("ROLLBACK TO multi")
            conn.execute("RELEASE multi")
        return _refused(conn, rows)
    if multi:
        conn.execute("RELEASE multi")
    return AppendResult(positions=positions, appended=True)


def _has_version(conn: sqlite3.Connection, stream_id: str, version: int) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM events WHERE stream_id = ? AND stream_version = ?",
            (stream_id, version),
        ).fetchone()
        is not None
    )


def _refused(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> AppendResult:
    """An append that cannot go in: a retry of stored events (a no-op) or a conflict."""
    event_ids = [row[0] for row in rows]
    marks = ",".join("?" * len(event_ids))
    existing = dict(
        conn.execute(
            f"SELECT event_id, position FROM events WHERE event_id IN ({marks})", event_ids
        ).fetchall()
    )
    if len(existing) == len(rows):
        return AppendResult(positions=[existing[eid] for eid in event_ids], appended=False)
    stream_id, first_version = rows[0][1], rows[0][2]
    raise ConcurrencyConflict(stream_id, first_version, _stream_version(conn, stream_id))


# Documents as the stdlib's `json.dumps(doc, default=str)` wrote them (datetimes and dataclasses
# through `str`), ten times faster: view writes are most of a consumer's JSON work.
_DOC_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _encode_doc(doc: Document) -> str:
    return orjson.dumps(doc, default=str, option=_DOC_OPTIONS).decode()


_decode_doc = orjson.loads


def _get_doc(conn: sqlite3.Connection, collection: str, key: str) -> Document | None:
    row = conn.execute(
        "SELECT doc FROM view_documents WHERE collection = ? AND key = ?", (collection, key)
    ).fetchone()
    return _decode_doc(row[0]) if row else None


def _put_doc(conn: sqlite3.Connection, collection: str, key: str, doc: Document) -> None:
    conn.execute(
        "INSERT INTO view_documents (collection, key, doc) VALUES (?, ?, ?) "
        "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc",
        (collection, key, _encode_doc(doc)),
    )


# SQLite's default limit on host parameters is 32,766 (999 before 3.32); stay well below.
_KEYS_PER_QUERY = 500


def _get_docs(conn: sqlite3.Connection, collection: str, keys: list[str]) -> dict[str, Document]:
    found: dict[str, Document] = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        rows = conn.execute(
            "SELECT key, doc FROM view_documents WHERE collection = ? "
            f"AND key IN ({','.join('?' * len(chunk))})",
            [collection, *chunk],
        ).fetchall()
        found.update((key, _decode_doc(doc)) for key, doc in rows)
    return found


def _put_docs(conn: sqlite3.Connection, collection: str, docs: Mapping[str, Document]) -> None:
    conn.executemany(
        "INSERT INTO view_documents (collection, key, doc) VALUES (?, ?, ?) "
        "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc",
        [(collection, key, _encode_doc(doc)) for key, doc in docs.items()],
    )


def _increment(
    conn: sqlite3.Connection, collection: str, key: str, amounts: Mapping[str, float]
) -> None:
    doc = _get_doc(conn, collection, key) or {}
    for name, amount in amounts.items():
        doc[name] = doc.get(name, 0) + amount
    _put_doc(conn, collection, key, doc)


class _SqliteViewTransaction:
    """The statements of an `apply_once` effect, on the inline writer: the transaction holds the
    write lock from its BEGIN IMMEDIATE on, so none of them waits for a lock."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def get(self, collection: str, key: str) -> Document | None:
        return _get_doc(self._conn, collection, key)

    async def put(self, collection: str, key: str, doc: Document) -> None:
        _put_doc(self._conn, collection, key, doc)

    async def increment(self, collection: str, key: str, amounts: Mapping[str, float]) -> None:
        _increment(self._conn, collection, key, amounts)

    async def delete(self, collection: str, key: str) -> None:
        self._conn.execute(
            "DELETE FROM view_documents WHERE collection = ? AND key = ?", (collection, key)
        )

    async def get_many(self, collection: str, keys: Iterable[str]) -> dict[str, Document]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        return _get_docs(self._conn, collection, wanted)

    async def put_many(self, collection: str, docs: Mapping[str, Document]) -> None:
        if docs:
            _put_docs(self._conn, collection, dict(docs))


def _where_clause(where: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
    if not where:
        return "", []
    clauses, params = [], []
    for name, value in where.items():
        if not name.isidentifier():
            raise ValueError(f"not a field name: {name!r}")
        clauses.append(f"json_extract(doc, '$.{name}') = ?")
        params.append(value)
    return " AND " + " AND ".join(clauses), params


class SqliteViewStore:
    def __init__(self, reader: _Connection, point: _PointReader, writer: _InlineWriter) -> None:
        self._reader = reader
        self._point = point
        self._writer = writer

    async def apply_once(self, event_id: UUID, effect: Effect) -> bool:
        return await self.apply_each_once([event_id], as_batch_effect(effect)) == 1

    async def apply_each_once(self, event_ids: Sequence[UUID], effect: BatchEffect) -> int:
        wanted = list(dict.fromkeys(str(event_id) for event_id in event_ids))
        writer = self._writer
        async with writer.lock:
            conn = await writer.begin()
            try:
                seen: set[str] = set()
                for start in range(0, len(wanted), _KEYS_PER_QUERY):
                    chunk = wanted[start : start + _KEYS_PER_QUERY]
                    rows = conn.execute(
                        "SELECT event_id FROM applied_events "
                        f"WHERE event_id IN ({','.join('?' * len(chunk))})",
                        chunk,
                    ).fetchall()
                    seen.update(row[0] for row in rows)
                new = [event_id for event_id in wanted if event_id not in seen]
                if new:
                    await effect(_SqliteViewTransaction(conn), frozenset(map(UUID, new)))
                    conn.executemany(
                        "INSERT INTO applied_events (event_id) VALUES (?)", [(e,) for e in new]
                    )
                await writer.commit()
            except BaseException:
                rollback_if_open(conn)
                raise
            return len(new)

    async def is_applied(self, event_id: UUID) -> bool:
        query = "SELECT 1 FROM applied_events WHERE event_id = ?"
        return bool(self._point.query(query, (str(event_id),)))

    async def get(self, collection: str, key: str) -> Document | None:
        return _get_doc(self._point.conn, collection, key)

    async def find(
        self, collection: str, where: Mapping[str, Any] | None = None, *, limit: int = 100
    ) -> list[Document]:
        clause, params = _where_clause(where)
        rows = await self._reader.query(
            f"SELECT doc FROM view_documents WHERE collection = ?{clause} ORDER BY key LIMIT ?",
            [collection, *params, limit],
        )
        return [_decode_doc(doc) for (doc,) in rows]

    async def count(self, collection: str, where: Mapping[str, Any] | None = None) -> int:
        clause, params = _where_clause(where)
        rows = await self._reader.query(
            f"SELECT count(*) FROM view_documents WHERE collection = ?{clause}",
            [collection, *params],
        )
        return int(rows[0][0])

    async def applied_count(self) -> int:
        rows = await self._reader.query("SELECT count(*) FROM applied_events")
        return int(rows[0][0])

    async def reset(self) -> None:
        def clear(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM view_documents")
            conn.execute("DELETE FROM applied_events")

        await self._writer.transaction(clear)
