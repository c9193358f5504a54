"""A service's MongoDB database: its event store and its views, on one client."""

from __future__ import annotations

from typing import Any

import pymongo
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import PyMongoError

from sipokat.events.store.base import StoreUnavailable
from sipokat.events.store.mongo.client import (
    INDEX_BUILD_SECONDS,
    PING_SECONDS,
    READ,
    WRITE,
    connect,
)
from sipokat.events.store.mongo.errors import store_error
from sipokat.events.store.mongo.events import MongoEventStore
from sipokat.events.store.mongo.views import MongoViewStore, create_view_indexes


class MongoDatabase:
    """Needs a replica set (one member is enough): appends and `apply_once` are transactions.

    `db` is the service's database, with the store's read and write concerns: a service's
    adapter may keep collections of its own there (intake's photos, in GridFS), never touching
    the store's (`events`, the views)."""

    def __init__(self, client: AsyncMongoClient[dict[str, Any]], name: str) -> None:
        self.client = client
        # Every read and write outside a transaction takes these (client.READ, client.WRITE).
        self.db = client.get_database(name, read_concern=READ, write_concern=WRITE)
        self.events = MongoEventStore(client, self.db)
        self.views = MongoViewStore(client, self.db)

    @classmethod
    async def open(cls, url: str, name: str, *, app: str = "sipokat") -> MongoDatabase:
        """Connect as `app` (the server logs it as appname), index the collections, and put the
        store right where a crash left it: the position counter behind the events, a reset
        half done."""
        database = cls(connect(url, app), name)
        try:
            with pymongo.timeout(INDEX_BUILD_SECONDS):
                await database._create_indexes()
            await database.events.repair_counter()
            await database.views.finish_reset()
        except BaseException as exc:
            await database.client.close()
            if isinstance(exc, PyMongoError):
                raise store_error(exc) from exc
            raise
        return database

    async def _create_indexes(self) -> None:
        events = self.db["events"]
        await events.create_index("event_id", unique=True)
        await events.create_index(
            [("stream_id", ASCENDING), ("stream_version", ASCENDING)], unique=True
        )
        # The relay's read and its lag (publish = true after its checkpoint), as SQLite's
        # events_publishable: without it every poll and readiness probe scans the events of
        # other services recorded after the checkpoint.
        await events.create_index(
            [("publish", ASCENDING), ("_id", ASCENDING)], name="events_publishable"
        )
        await create_view_indexes(self.db)

    async def ping(self) -> None:
        try:
            with pymongo.timeout(PING_SECONDS):
                await self.client.admin.command("ping")
        except PyMongoError as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self.client.close()
