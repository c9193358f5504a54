"""The event store in SQLite: appends grouped into shared commits, reads by position."""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sipokat.events.envelope import Envelope
from sipokat.events.store.base import (
    AppendResult,
    ConcurrencyConflict,
    RecordedEvent,
    check_batch,
    parse_stream,
)
from sipokat.events.store.group import GroupCommit
from sipokat.events.store.sqlite.connections import (
    InlineWriter,
    PointReader,
    ThreadedConnection,
)


def _append_group(
    conn: sqlite3.Connection, *, group: list[list[tuple[Any, ...]]]
) -> list[AppendResult | BaseException]:
    results: list[AppendResult | BaseException] = []
    for rows in group:
        try:
            results.append(_append(conn, rows))
        except ConcurrencyConflict as exc:  # _append has left nothing of this append behind
            results.append(exc)
    return results


class SqliteEventStore:
    def __init__(self, conn: ThreadedConnection, point: PointReader, writer: InlineWriter) -> None:
        self._conn = conn
        self._point = point
        self._writer = writer
        self._group_commit: GroupCommit[list[tuple[Any, ...]], AppendResult] = GroupCommit(
            self._commit_group
        )

    async def _commit_group(
        self, group: list[list[tuple[Any, ...]]]
    ) -> list[AppendResult | BaseException]:
        return await self._writer.transaction(functools.partial(_append_group, group=group))

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
        return await self._group_commit.submit(rows)

    async def read_stream(self, stream_id: str) -> list[Envelope]:
        rows = self._point.query(
            "SELECT event_id, body FROM events WHERE stream_id = ? ORDER BY stream_version",
            (stream_id,),
        )
        return parse_stream(stream_id, ((event_id, bytes(body)) for event_id, body in rows))

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

    async def advance_checkpoint(self, name: str, position: int, *, holder: str) -> bool:
        def advance(conn: sqlite3.Connection) -> bool:
            if not _holds_lease(conn, name, holder):
                return False
            conn.execute(
                "INSERT INTO checkpoints (name, position) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET position = max(position, excluded.position)",
                (name, position),
            )
            return True

        return await self._writer.transaction(advance)

    # One file on one machine: every replica reads the same clock.
    async def hold_lease(self, name: str, holder: str, ttl: float) -> bool:
        return await self._writer.transaction(lambda conn: _hold_lease(conn, name, holder, ttl))


def _holds_lease(conn: sqlite3.Connection, name: str, holder: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM leases WHERE name = ? AND holder = ? AND expires_at > ?",
        (name, holder, time.time()),
    ).fetchone()
    return row is not None


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
