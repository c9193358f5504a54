"""Read-model views in SQLite: JSON documents, and the events already applied to them."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sipokat.events.store.base import (
    BatchEffect,
    Document,
    Effect,
    SetAsideEvent,
    as_batch_effect,
    check_limit,
    check_storable,
    where_matches_nothing,
)
from sipokat.events.store.documents import decode_document, encode_document
from sipokat.events.store.sqlite.connections import (
    InlineWriter,
    PointReader,
    ThreadedConnection,
    rollback_if_open,
)


def _get_doc(conn: sqlite3.Connection, collection: str, key: str) -> Document | None:
    row = conn.execute(
        "SELECT doc FROM view_documents WHERE collection = ? AND key = ?", (collection, key)
    ).fetchone()
    return decode_document(row[0]) if row else None


def _put_doc(conn: sqlite3.Connection, collection: str, key: str, doc: Document) -> None:
    conn.execute(
        "INSERT INTO view_documents (collection, key, doc) VALUES (?, ?, ?) "
        "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc",
        (collection, key, encode_document(doc)),
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
        found.update((key, decode_document(doc)) for key, doc in rows)
    return found


def _put_docs(conn: sqlite3.Connection, collection: str, docs: Mapping[str, Document]) -> None:
    conn.executemany(
        "INSERT INTO view_documents (collection, key, doc) VALUES (?, ?, ?) "
        "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc",
        [(collection, key, encode_document(doc)) for key, doc in docs.items()],
    )


def _increment(
    conn: sqlite3.Connection, collection: str, key: str, amounts: Mapping[str, float]
) -> None:
    check_storable(amounts)
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
    """Equality as MongoDB's: json_extract gives a JSON true as 1, so booleans are matched by
    their JSON type, and numbers only among numbers (names are checked identifiers)."""
    if not where:
        return "", []
    clauses, params = [], []
    for name, value in where.items():
        if isinstance(value, bool):
            clauses.append(f"json_type(doc, '$.{name}') = '{'true' if value else 'false'}'")
            continue
        clauses.append(f"json_extract(doc, '$.{name}') = ?")
        params.append(value)
        if isinstance(value, int | float):
            clauses.append(f"json_type(doc, '$.{name}') IN ('integer', 'real')")
    return " AND " + " AND ".join(clauses), params


class SqliteViewStore:
    def __init__(
        self, reader: ThreadedConnection, point: PointReader, writer: InlineWriter
    ) -> None:
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
        check_limit(limit)
        if where_matches_nothing(where) or limit == 0:
            return []
        clause, params = _where_clause(where)
        rows = await self._reader.query(
            f"SELECT doc FROM view_documents WHERE collection = ?{clause} ORDER BY key LIMIT ?",
            [collection, *params, limit],
        )
        return [decode_document(doc) for (doc,) in rows]

    async def count(self, collection: str, where: Mapping[str, Any] | None = None) -> int:
        if where_matches_nothing(where):
            return 0
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
        for step in self.reset_steps():
            await step()

    def reset_steps(self) -> list[Callable[[], Awaitable[None]]]:
        """One step: both tables are emptied in one transaction, which a crash undoes whole."""

        def clear(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM view_documents")
            conn.execute("DELETE FROM applied_events")

        async def step() -> None:
            await self._writer.transaction(clear)

        return [step]

    async def set_aside(self, event: SetAsideEvent) -> None:
        row = (
            event.reader,
            event.key,
            event.body,
            event.reason,
            event.set_aside_at.isoformat(),
            event.routing_key,
            event.stream_id,
            event.failures,
        )

        def keep(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO set_aside (reader, key, body, reason, set_aside_at, routing_key, "
                "stream_id, failures) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (reader, key) DO UPDATE SET body = excluded.body, "
                "reason = excluded.reason, set_aside_at = excluded.set_aside_at, "
                "routing_key = excluded.routing_key, stream_id = excluded.stream_id, "
                "failures = set_aside.failures + excluded.failures",
                row,
            )

        await self._writer.transaction(keep)

    async def set_aside_events(
        self, reader: str | None = None, *, limit: int = 100
    ) -> list[SetAsideEvent]:
        check_limit(limit)
        where, params = ("WHERE reader = ? ", [reader]) if reader is not None else ("", [])
        rows = await self._reader.query(
            "SELECT reader, key, body, reason, set_aside_at, routing_key, stream_id, failures "
            f"FROM set_aside {where}ORDER BY set_aside_at, reader, key LIMIT ?",
            [*params, limit],
        )
        return [
            SetAsideEvent(
                reader=r,
                key=k,
                body=bytes(b),
                reason=why,
                set_aside_at=datetime.fromisoformat(at),
                routing_key=rk,
                stream_id=sid,
                failures=n,
            )
            for r, k, b, why, at, rk, sid, n in rows
        ]

    async def set_aside_counts(self) -> dict[str, int]:
        rows = await self._reader.query("SELECT reader, count(*) FROM set_aside GROUP BY reader")
        return {reader: int(count) for reader, count in rows}

    async def release(self, reader: str, key: str | None = None) -> int:
        def drop(conn: sqlite3.Connection) -> int:
            if key is None:
                return conn.execute("DELETE FROM set_aside WHERE reader = ?", (reader,)).rowcount
            query = "DELETE FROM set_aside WHERE reader = ? AND key = ?"
            return conn.execute(query, (reader, key)).rowcount

        return await self._writer.transaction(drop)
