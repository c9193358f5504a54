"""Driver failures as the contract's errors: nothing of PyMongo reaches a caller.

A fault of the store (no primary, a lost connection, a timeout, a write concern not met,
transient retries exhausted, and any server error not known to be the value's) is
`StoreUnavailable`, which readers retry; a value the server refuses (an integer an increment
carries past int64, a document beyond 16 MB) is `UnstorableValue`, which readers set aside.
The default is the store's fault: an unknown server error must not set events aside.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final, ParamSpec, TypeVar

from bson.errors import InvalidDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, PyMongoError

from sipokat.events.store.base import StoreUnavailable, UnstorableValue

P = ParamSpec("P")
T = TypeVar("T")

# Server errors that are the value's: BadValue ($inc past int64: "Failed to apply $inc"),
# TypeMismatch ($inc on a string), Overflow, BSONObjectTooLarge, an update's result too large.
VALUE_CODES: Final = frozenset({2, 14, 15, 10334, 17419})
DUPLICATE_KEY: Final = 11000


def _codes(exc: OperationFailure) -> set[int]:
    codes = {exc.code} if exc.code is not None else set()
    if isinstance(exc, BulkWriteError):
        codes |= {int(e["code"]) for e in exc.details.get("writeErrors", ()) if "code" in e}
    return codes


def store_error(exc: BaseException) -> BaseException:
    """The contract's error for `exc`; anything not the driver's or BSON's stays as it is."""
    if isinstance(exc, OverflowError | InvalidDocument):  # BSON's int64, 16 MB (client side)
        return UnstorableValue(f"{type(exc).__name__}: {exc}")
    if not isinstance(exc, PyMongoError):
        return exc
    if (
        isinstance(exc, OperationFailure)
        and not exc.timeout
        and not exc.has_error_label("TransientTransactionError")
        and _codes(exc) & VALUE_CODES
    ):
        return UnstorableValue(f"{type(exc).__name__}: {exc}")
    return StoreUnavailable(f"{type(exc).__name__}: {exc}")


def contract_errors(
    fn: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """`fn`, raising the contract's errors for the driver's."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(*args, **kwargs)
        except (PyMongoError, OverflowError, InvalidDocument) as exc:
            raise store_error(exc) from exc

    return wrapper


def clashing_key(exc: PyMongoError) -> Mapping[str, Any] | None:
    """The key pattern of the unique index a duplicate-key failure names (e.g. {"_id": 1});
    None for any other failure."""
    errors: list[Mapping[str, Any]] = []
    if isinstance(exc, DuplicateKeyError):
        errors = [exc.details or {}]
    elif isinstance(exc, BulkWriteError):
        errors = [e for e in exc.details.get("writeErrors", ()) if e.get("code") == DUPLICATE_KEY]
    for error in errors:
        pattern: Mapping[str, Any] = error.get("keyPattern") or {}
        return pattern
    return None
