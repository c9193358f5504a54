"""The storage contract every backend (SQLite, MongoDB, memory) keeps, proved by one contract suite.

Two halves, one database per service:

- `EventStore`: append-only events of a producing service, in four roles a user is typed against
  one or more of (`StreamStore`, `OutboxReader`, `Checkpoints`, `Leases`). Unique (stream_id,
  stream_version) gives optimistic concurrency; unique event_id makes a retried append a no-op; a
  global position orders every event for the relay, which records how far it got as a
  checkpoint.
- `ViewStore`: documents of a read model. `apply_once` runs an event's effect and records the
  event as applied in one transaction, so a redelivered or replayed event changes nothing. Beside
  the documents, the events its readers set aside (`SetAsideEvent`): one event a reader cannot
  apply is kept there with the reason, and the reader goes on with the rest.

An effect may run more than once for one commit (see `ViewStore.apply_once`): it keeps no state
outside its transaction, and a value it computes reaches the caller through `apply_once_returning`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Final, Protocol, TypeVar
from uuid import UUID

from sipokat.events.envelope import Envelope

Document = dict[str, Any]
T = TypeVar("T")


class ConcurrencyConflict(Exception):
    """A writer appended at a stream version that is no longer next: it read a stale stream."""

    def __init__(self, stream_id: str, attempted_version: int, current_version: int) -> None:
        super().__init__(
            f"stream {stream_id} is at version {current_version}; "
            f"cannot append version {attempted_version}"
        )
        self.stream_id = stream_id
        self.attempted_version = attempted_version
        self.current_version = current_version


class StoreUnavailable(Exception):
    """The database cannot be reached, or did not answer in time; the caller may retry.

    Every backend raises this, and only this, for a fault of the store itself (down, a
    connection lost, an election, a timeout, retries exhausted): readers retry the work later
    rather than set an event aside (`sipokat.events.setaside.is_event_fault`). A write that
    raised it may have been stored after all; appends and `apply_once` are safe to retry."""


# What every backend holds: SQLite's INTEGER and BSON's int64 are signed 64-bit.
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**63 - 1


class UnstorableValue(ValueError):
    """A value no backend can hold (an integer outside the signed 64-bit range), refused
    before the store is touched: the same on every backend. Retrying cannot help, so a reader
    sets the event that brought it aside (it is an event fault, not a store fault)."""


def check_storable(value: object) -> None:
    """Raise `UnstorableValue` for an integer outside [INT_MIN, INT_MAX] anywhere in `value`
    (a document, its lists and nested documents)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, int):
            if not INT_MIN <= item <= INT_MAX:
                raise UnstorableValue(f"integer {item} is outside the signed 64-bit range")
        elif isinstance(item, Mapping):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)


_WHERE_TYPES = (str, int, float, bool, type(None))


def where_matches_nothing(where: Mapping[str, Any] | None) -> bool:
    """Check a `find`/`count` filter the same way for every backend; True when no document can
    match it, so the backend answers without a query.

    Names are top-level fields, plain identifiers (a dotted name would mean a nested field in
    MongoDB and a literal one nowhere in SQLite: refused, `ValueError`). Values are scalars;
    equality with None matches nothing (SQL's NULL equals nothing, and MongoDB's `null` would
    also match a missing field), and neither does an integer no document can hold."""
    nothing = False
    for name, value in (where or {}).items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"not a field name: {name!r}")
        if not isinstance(value, _WHERE_TYPES):
            raise ValueError(f"field {name!r}: only a string, number, boolean or None matches")
        if value is None or (isinstance(value, int) and not INT_MIN <= value <= INT_MAX):
            nothing = True
    return nothing


def check_limit(limit: int) -> None:
    """A page's size: 0 asks for nothing (MongoDB's `limit(0)` would mean no limit)."""
    if limit < 0:
        raise ValueError(f"limit must be 0 or more, not {limit}")


class UnreadableEvent(ValueError):
    """A stored event of a stream does not parse (a type or shape this code does not know).

    Carries what could be read, so a reader can still say whose the stream is: the stream's
    events before it (`readable`), and the event itself as stored."""

    def __init__(
        self, stream_id: str, event_id: str, body: bytes, readable: list[Envelope], error: Exception
    ) -> None:
        super().__init__(f"event {event_id} of {stream_id} does not parse: {error}")
        self.stream_id = stream_id
        self.event_id = event_id
        self.body = body
        self.readable = readable
        self.error = error


def parse_stream(stream_id: str, stored: Iterable[tuple[str, bytes]]) -> list[Envelope]:
    """The events of a stream from their (event id, body) in version order; `UnreadableEvent`
    at the first that does not parse."""
    events: list[Envelope] = []
    for event_id, body in stored:
        try:
            events.append(Envelope.from_json(body))
        except Exception as exc:
            raise UnreadableEvent(stream_id, event_id, body, events, exc) from exc
    return events


@dataclass(frozen=True)
class RecordedEvent:
    """An event as the store holds it: its global position and the exact bytes to publish."""

    position: int
    event_id: UUID
    stream_id: str
    stream_version: int
    routing_key: str
    body: bytes

    @cached_property
    def envelope(self) -> Envelope:
        return Envelope.from_json(self.body)


@dataclass(frozen=True)
class SetAsideEvent:
    """An event a reader could not apply, kept as it came, with why and when.

    `key` is the event's id, or for a body that does not parse as an event, a digest of it.
    Setting aside the same (reader, key) again updates the reason and time and counts it.
    """

    reader: str
    key: str
    body: bytes
    reason: str
    set_aside_at: datetime
    routing_key: str = ""
    stream_id: str = ""
    failures: int = 1


@dataclass(frozen=True)
class AppendResult:
    positions: list[int]
    # False when every event was already stored: the append was a retry and changed nothing.
    appended: bool


def check_batch(events: Sequence[Envelope]) -> None:
    """One append writes consecutive versions of one stream."""
    if not events:
        raise ValueError("nothing to append")
    stream_id = events[0].stream_id
    for offset, event in enumerate(events):
        if event.stream_id != stream_id:
            raise ValueError("one append writes to one stream")
        if event.stream_version != events[0].stream_version + offset:
            raise ValueError("stream versions in one append must be consecutive")
    if len({event.event_id for event in events}) != len(events):
        raise ValueError("one append cannot hold the same event_id twice")
    if events[-1].stream_version > INT_MAX:
        raise UnstorableValue(f"stream version {events[-1].stream_version} is beyond int64")


# The event store by role, as the `eventsourcing` library layers its recorders: each user is
# typed against the part it uses (a handler the streams, the relay the outbox, its checkpoint
# and its lease, a catch-up the outbox and its checkpoint); a backend implements `EventStore`,
# all of them, and the contract suite holds it to each.


class StreamStore(Protocol):
    """The streams: a writer's optimistic concurrency and its reads."""

    async def append(self, events: Sequence[Envelope], *, publish: bool = True) -> AppendResult:
        """Store events of one stream atomically.

        The first event's stream_version must be the stream's current version + 1, otherwise
        `ConcurrencyConflict`. Appending events whose event_ids are all stored already is a
        no-op that returns their positions.

        A report's stream is written by more than one service (intake submits and revises,
        verification decides), each in turn. Each producer keeps the whole stream in its own
        store, so its optimistic concurrency sees every version: events another service wrote
        and published are recorded here with `publish=False`, and the relay skips them.
        """
        ...

    async def read_stream(self, stream_id: str) -> list[Envelope]:
        """The stream's events in version order; `UnreadableEvent` when one does not parse."""
        ...

    async def stream_version(self, stream_id: str) -> int:
        """The stream's current version; 0 for a stream that has no events."""
        ...


class OutboxReader(Protocol):
    """Every event in the order of the global position: the outbox the relay publishes and
    what a catch-up follows."""

    async def read_from(
        self, after_position: int, limit: int, *, publishable_only: bool = False
    ) -> list[RecordedEvent]:
        """Events with position > after_position, in position order; with `publishable_only`,
        only those this service wrote itself (the relay's view)."""
        ...

    async def last_position(self) -> int: ...

    async def count_publishable_after(self, position: int) -> int:
        """How many events this service wrote itself lie after `position`: the relay's lag."""
        ...


class Checkpoints(Protocol):
    """How far a reader of the outbox got, by name."""

    async def load_checkpoint(self, name: str) -> int: ...

    async def save_checkpoint(self, name: str, position: int) -> None:
        """Set checkpoint `name`, forward or back (a rebuild starts its catch-up over at 0)."""
        ...

    async def advance_checkpoint(self, name: str, position: int, *, holder: str) -> bool:
        """Move checkpoint `name` forward to `position` while `holder` holds lease `name`.

        Forward only: a lower position leaves it where it is. False, changing nothing, when
        the lease is another's or has expired: a relay that lost its lease (a pause longer
        than the lease, a clock that jumped) must not move the checkpoint of the one that
        took over. The relay's checkpoint moves only through this."""
        ...


class Leases(Protocol):
    """Which replica may do a job (the relay's publishing) alone."""

    async def hold_lease(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew lease `name` for `holder` for `ttl` seconds.

        False while another holder's lease has not expired. Replicas of a service share one
        store; the lease lets exactly one of their relays publish at a time. Expiry is judged
        by one clock for all replicas (the database server's where it has one), never by each
        replica's own.
        """
        ...


class EventStore(StreamStore, OutboxReader, Checkpoints, Leases, Protocol):
    """Append-only events of a producing service: every role, what a backend implements."""


class CatchUpLog(OutboxReader, Checkpoints, Protocol):
    """What a catch-up reads: the outbox from its checkpoint, which it moves on."""


class RelayLog(OutboxReader, Checkpoints, Leases, Protocol):
    """What the relay uses: the outbox, its checkpoint and the lease to publish it alone."""


class ViewTransaction(Protocol):
    """The documents of a read model, inside one `apply_once` transaction."""

    async def get(self, collection: str, key: str) -> Document | None: ...

    async def put(self, collection: str, key: str, doc: Document) -> None: ...

    async def increment(self, collection: str, key: str, amounts: Mapping[str, float]) -> None:
        """Add to numeric fields of a document, creating the document and fields at 0."""
        ...

    async def delete(self, collection: str, key: str) -> None: ...

    async def get_many(self, collection: str, keys: Iterable[str]) -> dict[str, Document]:
        """The documents of `keys` that exist, by key, in one round trip (a rebuild's batch)."""
        ...

    async def put_many(self, collection: str, docs: Mapping[str, Document]) -> None:
        """`put` each document (key → document) in one round trip."""
        ...


Effect = Callable[[ViewTransaction], Awaitable[None]]
# A batch's effect: given the transaction and which of the batch's events were not applied yet.
BatchEffect = Callable[[ViewTransaction, frozenset[UUID]], Awaitable[None]]


def as_batch_effect(effect: Effect) -> BatchEffect:
    """`effect` as the effect of a batch of one: how the stores implement `apply_once`."""

    async def batch_effect(transaction: ViewTransaction, _new: frozenset[UUID]) -> None:
        await effect(transaction)

    return batch_effect


async def apply_once_returning(
    views: ViewStore, event_id: UUID, effect: Callable[[ViewTransaction], Awaitable[T]]
) -> T | None:
    """`views.apply_once(event_id, effect)`, returning what `effect` returned in the run that
    committed; None when the event was applied before (whatever an aborted run returned)."""
    outcome: list[T] = []

    async def run(transaction: ViewTransaction) -> None:
        result = await effect(transaction)
        outcome[:] = [result]  # replaced, never appended: a run aborted before is forgotten

    return outcome[0] if await views.apply_once(event_id, run) else None


async def apply_each_once_returning(
    views: ViewStore,
    event_ids: Sequence[UUID],
    effect: Callable[[ViewTransaction, frozenset[UUID]], Awaitable[T]],
) -> T | None:
    """`views.apply_each_once(event_ids, effect)`, returning what `effect` returned in the run
    that committed; None when every event was applied before."""
    outcome: list[T] = []

    async def run(transaction: ViewTransaction, new: frozenset[UUID]) -> None:
        result = await effect(transaction, new)
        outcome[:] = [result]

    return outcome[0] if await views.apply_each_once(event_ids, run) else None


class ViewStore(Protocol):
    """Read-model documents and the events applied to them.

    An effect may run more than once. A backend may abort a transaction after (or while) the
    effect ran and run the effect again in a new one: MongoDB's `with_transaction` does so on a
    TransientTransactionError (a write conflict with another replica, an election), and a
    replica set is the backend's production shape. What an aborted run wrote to the store is
    undone; what it did outside the store is not. So an effect:

    - changes nothing but the transaction's documents: it sends, publishes and pushes nothing,
      and mutates no object that outlives the run (no list appended to, no counter, no
      `nonlocal` accumulated, no document it did not read or build in this run);
    - may take a different path in its next run, as another replica may have committed in
      between (the event may even be applied by then, and the effect then not run again);
    - hands a value to its caller only through `apply_once_returning` /
      `apply_each_once_returning`, which return what the committed run returned, or nothing
      when no run committed. The caller acts on it (sends, pushes) after the commit.

    `sipokat.events.testing.RerunEffects` runs every effect once in a transaction it aborts
    and then for real, so a test shows an effect is safe when it is run again.
    """

    async def apply_once(self, event_id: UUID, effect: Effect) -> bool:
        """Run `effect` and record `event_id` as applied, atomically.

        Returns False when the event was applied before: then nothing of `effect` is kept (it
        may still have run in an attempt that was aborted). If `effect` raises, nothing of it is
        kept and the event is not recorded. `effect` may run more than once (see the class).

        `put`, `put_many` and `increment` raise `UnstorableValue` (keeping nothing) for an
        integer outside the signed 64-bit range, also one an increment would reach.
        """
        ...

    async def apply_each_once(self, event_ids: Sequence[UUID], effect: BatchEffect) -> int:
        """`apply_once` for many events in one transaction: run `effect` with the ids not
        applied before and record them; returns how many they were (0: nothing of `effect`
        kept). `effect` may run more than once, with other ids each time (see the class)."""
        ...

    async def is_applied(self, event_id: UUID) -> bool: ...

    async def get(self, collection: str, key: str) -> Document | None: ...

    async def find(
        self,
        collection: str,
        where: Mapping[str, Any] | None = None,
        *,
        limit: int = 100,
    ) -> list[Document]:
        """Documents whose top-level fields equal `where`, ordered by key; at most `limit`
        (0: none). Equality is by type too: True matches no 1, 1 matches 1.0. See
        `where_matches_nothing` for what a filter may hold and what matches nothing."""
        ...

    async def count(self, collection: str, where: Mapping[str, Any] | None = None) -> int: ...

    async def applied_count(self) -> int: ...

    async def reset(self) -> None:
        """Drop every view document and applied-event record: the start of a rebuild. The
        set-aside events stay (a rebuilding reader releases its own with `release`).

        Restartable: it runs as `reset_steps`, and a reset interrupted after any of them (a
        crash) is finished by the next `reset` or the next open of the store, before anything
        reads the views. Never are applied records left without their documents (a replay
        would skip those events) nor documents without their records."""
        ...

    def reset_steps(self) -> list[Callable[[], Awaitable[None]]]:
        """`reset`, step by step: what the contract suite interrupts between any two."""
        ...

    async def set_aside(self, event: SetAsideEvent) -> None:
        """Keep an event a reader could not apply. Again for the same (reader, key): the
        reason, time and body are replaced and `failures` counts one more."""
        ...

    async def set_aside_events(
        self, reader: str | None = None, *, limit: int = 100
    ) -> list[SetAsideEvent]:
        """The set-aside events (of one reader), oldest first."""
        ...

    async def set_aside_counts(self) -> dict[str, int]:
        """How many events each reader has set aside (readers with none are left out)."""
        ...

    async def release(self, reader: str, key: str | None = None) -> int:
        """Forget one set-aside event of `reader` (every one with `key` None); returns how
        many were dropped."""
        ...


E_co = TypeVar("E_co", covariant=True)


class Stores(Protocol[E_co]):
    """A service's database as a user sees it: the part of the event store it uses (`E_co`) and
    the views. A handler takes `Stores[StreamStore]`; every `Database` is one."""

    @property
    def events(self) -> E_co: ...

    @property
    def views(self) -> ViewStore: ...


class Database(Stores[EventStore], Protocol):
    """A service's own database: its event store (every role) and its views, as a backend
    opens it."""

    async def ping(self) -> None:
        """Raise `StoreUnavailable` when the database does not answer."""
        ...

    async def close(self) -> None: ...
