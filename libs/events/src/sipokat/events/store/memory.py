"""The memory backend: a service's database held by its process, for tests of a handler's logic.

It keeps the same contract suite as SQLite and MongoDB, but for the cases about what outlives a
process (a file reopened, a reset cut short by a crash: marked `durable`), since nothing here
does. Documents are kept as JSON text, as SQLite keeps them, so a handler reads back from it what
it would from the default backend. `MemoryDatabase.handle()` opens another handle on the same
store, as replicas open connections on one file; a closed handle answers `StoreUnavailable`.

Each write is one step on the event loop, with nothing awaited inside it, so it is atomic; an
`apply_once` effect awaits, so its writes are kept aside and applied when it returns, one effect
at a time (as SQLite's single writer), and dropped when it raises or is cancelled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from sipokat.events.envelope import Envelope
from sipokat.events.store.base import (
    AppendResult,
    BatchEffect,
    ConcurrencyConflict,
    Document,
    Effect,
    RecordedEvent,
    SetAsideEvent,
    StoreUnavailable,
    as_batch_effect,
    check_batch,
    check_limit,
    check_storable,
    parse_stream,
    where_matches_nothing,
)
from sipokat.events.store.documents import decode_document, encode_document


@dataclass
class MemoryStorage:
    """What every handle of one memory database shares."""

    events: list[tuple[RecordedEvent, bool]] = field(default_factory=list)  # (event, publish)
    positions: dict[UUID, int] = field(default_factory=dict)  # by event id
    streams: dict[str, list[int]] = field(default_factory=dict)  # positions in version order
    checkpoints: dict[str, int] = field(default_factory=dict)
    leases: dict[str, tuple[str, float]] = field(default_factory=dict)  # holder, expires at
    documents: dict[str, dict[str, str]] = field(default_factory=dict)  # collection, key: JSON
    applied: set[UUID] = field(default_factory=set)
    set_aside: dict[tuple[str, str], SetAsideEvent] = field(default_factory=dict)
    # One view transaction at a time, as SQLite's writer; appends never wait for it.
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)


class _Handle:
    def __init__(self, storage: MemoryStorage) -> None:
        self.storage = storage
        self.closed = False

    def open(self) -> MemoryStorage:
        if self.closed:
            raise StoreUnavailable("database is closed")
        return self.storage


def _append(storage: MemoryStorage, events: Sequence[Envelope], publish: bool) -> AppendResult:
    """As SQLite's: all stored already is a retry; any stored, or a version not next, a
    conflict; otherwise every event gets the next position."""
    known = [storage.positions.get(e.event_id) for e in events]
    if all(position is not None for position in known):
        return AppendResult(positions=[p for p in known if p is not None], appended=False)
    stream_id, first_version = events[0].stream_id, events[0].stream_version
    stream = storage.streams.setdefault(stream_id, [])
    if first_version != len(stream) + 1 or any(position is not None for position in known):
        raise ConcurrencyConflict(stream_id, first_version, len(stream))
    positions = []
    for event in events:
        position = len(storage.events) + 1
        recorded = RecordedEvent(
            position,
            event.event_id,
            event.stream_id,
            event.stream_version,
            event.routing_key,
            event.to_json(),
        )
        storage.events.append((recorded, publish))
        storage.positions[event.event_id] = position
        stream.append(position)
        positions.append(position)
    return AppendResult(positions=positions, appended=True)


def _holds_lease(storage: MemoryStorage, name: str, holder: str) -> bool:
    held = storage.leases.get(name)
    return held is not None and held[0] == holder and held[1] > time.monotonic()


class MemoryEventStore:
    def __init__(self, handle: _Handle) -> None:
        self._handle = handle

    async def append(self, events: Sequence[Envelope], *, publish: bool = True) -> AppendResult:
        storage = self._handle.open()
        check_batch(events)
        return _append(storage, events, publish)

    async def read_stream(self, stream_id: str) -> list[Envelope]:
        storage = self._handle.open()
        stored = (storage.events[p - 1][0] for p in storage.streams.get(stream_id, []))
        return parse_stream(stream_id, ((str(r.event_id), r.body) for r in stored))

    async def stream_version(self, stream_id: str) -> int:
        return len(self._handle.open().streams.get(stream_id, []))

    async def read_from(
        self, after_position: int, limit: int, *, publishable_only: bool = False
    ) -> list[RecordedEvent]:
        found: list[RecordedEvent] = []
        for recorded, publish in self._handle.open().events[max(after_position, 0) :]:
            if len(found) >= limit:
                break
            if publish or not publishable_only:
                found.append(recorded)
        return found

    async def last_position(self) -> int:
        return len(self._handle.open().events)

    async def count_publishable_after(self, position: int) -> int:
        return sum(publish for _, publish in self._handle.open().events[max(position, 0) :])

    async def load_checkpoint(self, name: str) -> int:
        return self._handle.open().checkpoints.get(name, 0)

    async def save_checkpoint(self, name: str, position: int) -> None:
        self._handle.open().checkpoints[name] = position

    async def advance_checkpoint(self, name: str, position: int, *, holder: str) -> bool:
        storage = self._handle.open()
        if not _holds_lease(storage, name, holder):
            return False
        storage.checkpoints[name] = max(storage.checkpoints.get(name, 0), position)
        return True

    # One process: every handle reads the same clock.
    async def hold_lease(self, name: str, holder: str, ttl: float) -> bool:
        storage = self._handle.open()
        now = time.monotonic()
        held = storage.leases.get(name)
        if held is not None and held[0] != holder and held[1] > now:
            return False
        storage.leases[name] = (holder, now + ttl)
        return True


class _MemoryViewTransaction:
    """An effect's writes, kept aside (None: deleted) until it returns."""

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage
        self.writes: dict[tuple[str, str], str | None] = {}

    def _text(self, collection: str, key: str) -> str | None:
        if (collection, key) in self.writes:
            return self.writes[collection, key]
        return self._storage.documents.get(collection, {}).get(key)

    async def get(self, collection: str, key: str) -> Document | None:
        text = self._text(collection, key)
        return None if text is None else decode_document(text)

    async def put(self, collection: str, key: str, doc: Document) -> None:
        self.writes[collection, key] = encode_document(doc)

    async def increment(self, collection: str, key: str, amounts: Mapping[str, float]) -> None:
        check_storable(amounts)
        doc = await self.get(collection, key) or {}
        for name, amount in amounts.items():
            doc[name] = doc.get(name, 0) + amount
        await self.put(collection, key, doc)

    async def delete(self, collection: str, key: str) -> None:
        self.writes[collection, key] = None

    async def get_many(self, collection: str, keys: Iterable[str]) -> dict[str, Document]:
        found = {key: await self.get(collection, key) for key in dict.fromkeys(keys)}
        return {key: doc for key, doc in found.items() if doc is not None}

    async def put_many(self, collection: str, docs: Mapping[str, Document]) -> None:
        for key, doc in docs.items():
            await self.put(collection, key, doc)

    def commit(self, applied: Iterable[UUID]) -> None:
        documents = self._storage.documents
        for (collection, key), text in self.writes.items():
            if text is None:
                documents.get(collection, {}).pop(key, None)
            else:
                documents.setdefault(collection, {})[key] = text
        self._storage.applied.update(applied)


def _equal(value: Any, wanted: Any) -> bool:
    """`find`'s equality, as SQLite's and MongoDB's: by type (True is no 1; 1 is 1.0), whole."""
    if isinstance(wanted, bool) or isinstance(value, bool):
        return value is wanted
    if isinstance(wanted, int | float):
        return isinstance(value, int | float) and value == wanted
    return isinstance(value, str) and value == wanted


def _matches(doc: Document, where: Mapping[str, Any] | None) -> bool:
    return all(name in doc and _equal(doc[name], value) for name, value in (where or {}).items())


class MemoryViewStore:
    def __init__(self, handle: _Handle) -> None:
        self._handle = handle

    async def apply_once(self, event_id: UUID, effect: Effect) -> bool:
        return await self.apply_each_once([event_id], as_batch_effect(effect)) == 1

    async def apply_each_once(self, event_ids: Sequence[UUID], effect: BatchEffect) -> int:
        storage = self._handle.open()
        async with storage.writing:
            new = [e for e in dict.fromkeys(event_ids) if e not in storage.applied]
            if new:
                transaction = _MemoryViewTransaction(storage)
                await effect(transaction, frozenset(new))
                self._handle.open()  # closed meanwhile: nothing is kept
                transaction.commit(new)
            return len(new)

    async def is_applied(self, event_id: UUID) -> bool:
        return event_id in self._handle.open().applied

    async def get(self, collection: str, key: str) -> Document | None:
        text = self._handle.open().documents.get(collection, {}).get(key)
        return None if text is None else decode_document(text)

    def _matching(self, collection: str, where: Mapping[str, Any] | None) -> list[Document]:
        kept = self._handle.open().documents.get(collection, {})
        docs = (decode_document(kept[key]) for key in sorted(kept))
        return [doc for doc in docs if _matches(doc, where)]

    async def find(
        self, collection: str, where: Mapping[str, Any] | None = None, *, limit: int = 100
    ) -> list[Document]:
        self._handle.open()
        check_limit(limit)
        if where_matches_nothing(where) or limit == 0:
            return []
        return self._matching(collection, where)[:limit]

    async def count(self, collection: str, where: Mapping[str, Any] | None = None) -> int:
        self._handle.open()
        if where_matches_nothing(where):
            return 0
        return len(self._matching(collection, where))

    async def applied_count(self) -> int:
        return len(self._handle.open().applied)

    async def reset(self) -> None:
        for step in self.reset_steps():
            await step()

    def reset_steps(self) -> list[Callable[[], Awaitable[None]]]:
        """One step: the documents and the applied records go together, after any effect."""

        async def step() -> None:
            storage = self._handle.open()
            async with storage.writing:
                storage.documents.clear()
                storage.applied.clear()

        return [step]

    async def set_aside(self, event: SetAsideEvent) -> None:
        kept = self._handle.open().set_aside
        before = kept.get((event.reader, event.key))
        failures = event.failures + (before.failures if before is not None else 0)
        kept[event.reader, event.key] = replace(event, failures=failures)

    async def set_aside_events(
        self, reader: str | None = None, *, limit: int = 100
    ) -> list[SetAsideEvent]:
        kept = self._handle.open().set_aside
        check_limit(limit)
        chosen = [e for e in kept.values() if reader is None or e.reader == reader]
        # SQLite's order: the time as it stores it (ISO text), then reader and key.
        chosen.sort(key=lambda e: (e.set_aside_at.isoformat(), e.reader, e.key))
        return chosen[:limit]

    async def set_aside_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for reader, _ in self._handle.open().set_aside:
            counts[reader] = counts.get(reader, 0) + 1
        return counts

    async def release(self, reader: str, key: str | None = None) -> int:
        kept = self._handle.open().set_aside
        dropped = [k for k in kept if k[0] == reader and (key is None or k[1] == key)]
        for k in dropped:
            del kept[k]
        return len(dropped)


class MemoryDatabase:
    """A service's database in memory: its event store (`events`) and its views (`views`)."""

    def __init__(self, storage: MemoryStorage | None = None) -> None:
        self._handle = _Handle(storage or MemoryStorage())
        self.events = MemoryEventStore(self._handle)
        self.views = MemoryViewStore(self._handle)

    @property
    def storage(self) -> MemoryStorage:
        return self._handle.storage

    def handle(self) -> MemoryDatabase:
        """Another handle on the same store, as another replica's connection."""
        return MemoryDatabase(self._handle.storage)

    async def ping(self) -> None:
        self._handle.open()

    async def close(self) -> None:
        self._handle.closed = True
