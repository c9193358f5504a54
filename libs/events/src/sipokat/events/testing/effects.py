"""Effects run again, as MongoDB's `with_transaction` runs them: a proof that runs without MongoDB.

PyMongo's `with_transaction` runs its callback again when the transaction fails with a
TransientTransactionError (a write conflict with another replica, an election), after the
callback ran in whole or in part; the store contract (`ViewStore`) says so, and every effect must
leave the same documents and hand its caller the same result when it is.

`RerunEffects` wraps a `ViewStore` of any backend (`RerunEffectsDatabase` a `Database`): each
`apply_once` / `apply_each_once` runs the effect first in a transaction it then aborts (after the
effect, or at its `abort_at`-th store call, as a conflicting write fails), lets `between` happen
(another replica committing meanwhile), and then runs it for real. `rerun_effects` (a fixture)
does the same to every SQLite and MongoDB view store the test opens, however the code under test
opened it; the option `--rerun-effects` turns it on for every test of a run, e.g.
`pytest services/notification/tests --rerun-effects -m "not disruptive"`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from sipokat.events.store.base import (
    BatchEffect,
    Database,
    Document,
    Effect,
    EventStore,
    SetAsideEvent,
    ViewStore,
    ViewTransaction,
    as_batch_effect,
)
from sipokat.events.store.sqlite.views import SqliteViewStore

ApplyEachOnce = Callable[[Sequence[UUID], BatchEffect], Awaitable[int]]


class Rehearsal(Exception):
    """Aborts an effect's first run. An `Exception`, as PyMongo's errors are: an effect that
    swallows errors swallows this one too, and is then seen running on."""


@dataclass
class Reruns:
    """How effects are run again, and how many were."""

    # Abort the first run at the effect's n-th store call (1: its first); None: after the effect.
    abort_at: int | None = None
    # Run after each aborted run, before the real one: another replica's commit meanwhile.
    between: Callable[[], Awaitable[None]] | None = None
    rehearsed: int = 0  # effects run in a transaction that was then aborted


class _AbortingTransaction:
    """A transaction whose `abort_at`-th call fails, as a write conflict fails a MongoDB one."""

    def __init__(self, inner: ViewTransaction, abort_at: int | None) -> None:
        self._inner = inner
        self._left = abort_at

    def _call(self) -> None:
        if self._left is not None:
            self._left -= 1
            if self._left == 0:
                raise Rehearsal

    async def get(self, collection: str, key: str) -> Document | None:
        self._call()
        return await self._inner.get(collection, key)

    async def put(self, collection: str, key: str, doc: Document) -> None:
        self._call()
        await self._inner.put(collection, key, doc)

    async def increment(self, collection: str, key: str, amounts: Mapping[str, float]) -> None:
        self._call()
        await self._inner.increment(collection, key, amounts)

    async def delete(self, collection: str, key: str) -> None:
        self._call()
        await self._inner.delete(collection, key)

    async def get_many(self, collection: str, keys: Iterable[str]) -> dict[str, Document]:
        self._call()
        return await self._inner.get_many(collection, keys)

    async def put_many(self, collection: str, docs: Mapping[str, Document]) -> None:
        self._call()
        await self._inner.put_many(collection, docs)


async def apply_rehearsed(
    apply_each_once: ApplyEachOnce,
    event_ids: Sequence[UUID],
    effect: BatchEffect,
    reruns: Reruns,
) -> int:
    """`apply_each_once(event_ids, effect)` with `effect` run first in an aborted transaction.
    An effect that raises in its first run is not run again (nor is it by PyMongo)."""

    async def rehearsal(transaction: ViewTransaction, new: frozenset[UUID]) -> None:
        await effect(_AbortingTransaction(transaction, reruns.abort_at), new)
        raise Rehearsal  # after the effect, or again when the effect swallowed the first

    try:
        await apply_each_once(event_ids, rehearsal)
    except Rehearsal:
        reruns.rehearsed += 1
        if reruns.between is not None:
            await reruns.between()
    return await apply_each_once(event_ids, effect)


class RerunEffects:
    """A `ViewStore` that runs every effect twice: once into an aborted transaction, then for
    real (see the module)."""

    def __init__(
        self,
        inner: ViewStore,
        *,
        abort_at: int | None = None,
        between: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.inner = inner
        self.reruns = Reruns(abort_at, between)

    async def apply_once(self, event_id: UUID, effect: Effect) -> bool:
        return await self.apply_each_once([event_id], as_batch_effect(effect)) == 1

    async def apply_each_once(self, event_ids: Sequence[UUID], effect: BatchEffect) -> int:
        return await apply_rehearsed(self.inner.apply_each_once, event_ids, effect, self.reruns)

    async def is_applied(self, event_id: UUID) -> bool:
        return await self.inner.is_applied(event_id)

    async def get(self, collection: str, key: str) -> Document | None:
        return await self.inner.get(collection, key)

    async def find(
        self, collection: str, where: Mapping[str, Any] | None = None, *, limit: int = 100
    ) -> list[Document]:
        return await self.inner.find(collection, where, limit=limit)

    async def count(self, collection: str, where: Mapping[str, Any] | None = None) -> int:
        return await self.inner.count(collection, where)

    async def applied_count(self) -> int:
        return await self.inner.applied_count()

    async def reset(self) -> None:
        await self.inner.reset()

    async def set_aside(self, event: SetAsideEvent) -> None:
        await self.inner.set_aside(event)

    async def set_aside_events(
        self, reader: str | None = None, *, limit: int = 100
    ) -> list[SetAsideEvent]:
        return await self.inner.set_aside_events(reader, limit=limit)

    async def set_aside_counts(self) -> dict[str, int]:
        return await self.inner.set_aside_counts()

    async def release(self, reader: str, key: str | None = None) -> int:
        return await self.inner.release(reader, key)


class RerunEffectsDatabase:
    """A `Database` whose views are `RerunEffects` of another's (its event store as it is)."""

    def __init__(
        self,
        inner: Database,
        *,
        abort_at: int | None = None,
        between: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.inner = inner
        self._views = RerunEffects(inner.views, abort_at=abort_at, between=between)

    @property
    def events(self) -> EventStore:
        return self.inner.events

    @property
    def views(self) -> RerunEffects:
        return self._views

    async def ping(self) -> None:
        await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()


def _view_store_classes() -> Iterator[type[Any]]:
    # Imported when the fixture runs, not with `sipokat.events.testing`: every test module
    # loads that, and pymongo alone takes about 0.4 s to import.
    from sipokat.events.store.mongo import MongoViewStore

    yield SqliteViewStore
    yield MongoViewStore


@pytest.fixture
def rerun_effects(monkeypatch: pytest.MonkeyPatch) -> Reruns:
    """Every view store of the test (SQLite and MongoDB, opened by any code) runs each effect
    once into an aborted transaction and then for real; returns the count, to show it did."""
    reruns = Reruns()
    for store in _view_store_classes():
        original = store.apply_each_once

        async def apply_each_once(
            self: Any,
            event_ids: Sequence[UUID],
            effect: BatchEffect,
            original: Callable[..., Awaitable[int]] = original,
        ) -> int:
            bound = functools.partial(original, self)
            return await apply_rehearsed(bound, event_ids, effect, reruns)

        monkeypatch.setattr(store, "apply_each_once", apply_each_once)
    return reruns


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--rerun-effects",
        action="store_true",
        help="run every view-store effect once into an aborted transaction, then for real "
        "(what MongoDB's with_transaction may do), in every test",
    )


@pytest.fixture(autouse=True)
def _rerun_effects_when_asked(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--rerun-effects", default=False):
        request.getfixturevalue("rerun_effects")
