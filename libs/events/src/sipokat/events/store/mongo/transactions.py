"""Transactions with a bounded retry, and the contract's errors.

PyMongo's `with_transaction` retries for up to 120 s (not configurable) and then raises the
driver's error: a request would hang through two minutes of an election and then get neither
`ConcurrencyConflict` nor `StoreUnavailable`. This is its loop (the transactions spec's
convenient API) with our bound, `TRANSACTION_SECONDS`, which also caps every operation inside
(PyMongo's `timeout`), and the errors mapped.

What is retried, as the spec says: the whole transaction on the "TransientTransactionError"
label (a write conflict with another replica's transaction, a primary that stepped down); the
commit alone on "UnknownTransactionCommitResult" (commits happen at most once). Past the bound,
`StoreUnavailable`: an append's outcome may then be unknown, and its retry is a no-op if it
was stored. `work` may therefore run more than once; only the last run's writes are kept.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pymongo
from bson.errors import InvalidDocument
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import OperationFailure, PyMongoError

from sipokat.events.store.mongo.client import TRANSACTION, TRANSACTION_SECONDS
from sipokat.events.store.mongo.errors import store_error

T = TypeVar("T")

_BACKOFF_FIRST = 0.005
_BACKOFF_MOST = 0.5
_MAX_TIME_EXPIRED = 50


def _labelled(exc: BaseException, label: str) -> bool:
    return isinstance(exc, PyMongoError) and exc.has_error_label(label)


async def _backoff(attempt: int, deadline: float) -> bool:
    """Sleep before retry `attempt` (jittered, growing); False when past the deadline."""
    pause = random.random() * min(_BACKOFF_FIRST * 1.5**attempt, _BACKOFF_MOST)
    if time.monotonic() + pause >= deadline:
        return False
    await asyncio.sleep(pause)
    return True


async def in_transaction(
    client: AsyncMongoClient[dict[str, Any]],
    work: Callable[[AsyncClientSession], Awaitable[T]],
    *,
    seconds: float = TRANSACTION_SECONDS,
) -> T:
    """`work` in one transaction (snapshot reads, majority writes), retried within `seconds`."""
    deadline = time.monotonic() + seconds
    try:
        with pymongo.timeout(seconds):
            async with client.start_session() as session:
                return await _attempts(session, work, deadline)
    except (PyMongoError, OverflowError, InvalidDocument) as exc:
        raise store_error(exc) from exc


async def _attempts(
    session: AsyncClientSession,
    work: Callable[[AsyncClientSession], Awaitable[T]],
    deadline: float,
) -> T:
    attempt = 0
    while True:
        attempt += 1
        await session.start_transaction(
            TRANSACTION.read_concern, TRANSACTION.write_concern, TRANSACTION.read_preference
        )
        try:
            result = await work(session)
        except BaseException as exc:
            if session.in_transaction:
                await session.abort_transaction()
            if _labelled(exc, "TransientTransactionError") and await _backoff(attempt, deadline):
                continue
            raise
        transient = await _commit(session, deadline)
        if transient is None:
            return result
        if not await _backoff(attempt, deadline):
            raise transient


async def _commit(session: AsyncClientSession, deadline: float) -> PyMongoError | None:
    """Commit; the failure when the whole transaction is to be run again, else None."""
    while True:
        try:
            await session.commit_transaction()
            return None
        except PyMongoError as exc:
            unknown = _labelled(exc, "UnknownTransactionCommitResult") and not (
                isinstance(exc, OperationFailure) and exc.code == _MAX_TIME_EXPIRED
            )
            if unknown and time.monotonic() < deadline:
                continue  # the same commit again: the server applies it at most once
            if _labelled(exc, "TransientTransactionError"):
                return exc
            raise
