"""Event store and read-model views, one contract over SQLite, MongoDB and memory."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sipokat.events.store.base import (
    AppendResult,
    CatchUpLog,
    Checkpoints,
    ConcurrencyConflict,
    Database,
    Document,
    EventStore,
    Leases,
    OutboxReader,
    RecordedEvent,
    RelayLog,
    SetAsideEvent,
    Stores,
    StoreUnavailable,
    StreamStore,
    UnreadableEvent,
    UnstorableValue,
    ViewStore,
    ViewTransaction,
    apply_each_once_returning,
    apply_once_returning,
)

Backend = Literal["sqlite", "mongodb"]


async def open_database(
    backend: Backend,
    *,
    service: str,
    data_dir: Path | None = None,
    mongodb_url: str | None = None,
    mongodb_database: str | None = None,
) -> Database:
    """Open a service's own database: `<data_dir>/<service>.db`, or database `sipokat_<service>`."""
    # Each backend is imported when chosen, not at the top: a service on SQLite does not load
    # pymongo (about 0.4 s of start-up), one on MongoDB not the SQLite store.
    if backend == "sqlite":
        from sipokat.events.store.sqlite import SqliteDatabase

        return await SqliteDatabase.open((data_dir or Path("var")) / f"{service}.db")
    if backend == "mongodb":
        if not mongodb_url:
            raise ValueError("the mongodb backend needs MONGODB_URL")
        from sipokat.events.store.mongo import MongoDatabase

        return await MongoDatabase.open(
            mongodb_url, mongodb_database or f"sipokat_{service}", app=f"sipokat-{service}"
        )
    raise ValueError(f"unknown store backend {backend!r}")


__all__ = [
    "AppendResult",
    "Backend",
    "CatchUpLog",
    "Checkpoints",
    "ConcurrencyConflict",
    "Database",
    "Document",
    "EventStore",
    "Leases",
    "OutboxReader",
    "RecordedEvent",
    "RelayLog",
    "SetAsideEvent",
    "StoreUnavailable",
    "Stores",
    "StreamStore",
    "UnreadableEvent",
    "UnstorableValue",
    "ViewStore",
    "ViewTransaction",
    "apply_each_once_returning",
    "apply_once_returning",
    "open_database",
]
