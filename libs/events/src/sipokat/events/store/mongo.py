"""MongoDB backend through PyMongo's async API, for production and scale-out.

Needs a replica set (a single-node one is enough): appends and `apply_once` are multi-document
transactions. The global position comes from a counter document incremented inside the append's
transaction; concurrent appends conflict on it, so positions commit in order and the relay never
skips an event that commits late.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

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
    parse_stream,
)

Mongo = AsyncDatabase[dict[str, Any]]


class MongoDatabase:
    def __init__(self, client: AsyncMongoClient[dict[str, Any]], name: str) -> None:
        self.client = client
        self.db: Mongo = client[name]
        self.events = MongoEventStore(client, self.db)
        self.views = MongoViewStore(client, self.db)

    @classmethod
    async def open(cls, url: str, name: str) -> MongoDatabase:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            url, uuidRepresentation="standard", tz_aware=True
        )
        database = cls(client, name)
        await database._create_indexes()
        return database

    async def _create_indexes(self) -> None:
        events = self.db["events"]
        await events.create_index("event_id", unique=True)
        await events.create_index(
            [("stream_id", ASCENDING), ("stream_version", ASCENDING)], unique=True
        )
        await self.db["view_documents"].create_index(
            [("collection", ASCENDING), ("key", ASCENDING)], unique=True
        )
        await self.db["set_aside"].create_index(
            [("reader", ASCENDING), ("set_aside_at", ASCENDING)]
        )

    async def ping(self) -> None:
        try:
            await self.client.admin.command("ping")
        except PyMongoError as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self.client.close()


class MongoEventStore:
    def __init__(self, client: AsyncMongoClient[dict[str, Any]], db: Mongo) -> None:
        self._client = client
        self._db = db

    async def append(self, events: Sequence[Envelope], *, publish: bool = True) -> AppendResult:
        check_batch(events)
        docs = [
            {
                "event_id": str(e.event_id),
                "stream_id": e.stream_id,
                "stream_version": e.stream_version,
                "type": e.type,
                "routing_key": e.routing_key,
                "body": e.to_json(),
                "publish": publish,
            }
            for e in events
        ]

        async def write(session: AsyncClientSession) -> AppendResult:
            ids = [d["event_id"] for d in docs]
            found = (
                await self._db["events"]
                .find({"event_id": {"$in": ids}}, {"event_id": 1, "_id": 1}, session=session)
                .to_list()
            )
            existing = {d["event_id"]: d["_id"] for d in found}
            if len(existing) == len(docs):
                return AppendResult(positions=[existing[i] for i in ids], appended=False)
            stream_id, first_version = events[0].stream_id, events[0].stream_version
            last = await self._db["events"].find_one(
                {"stream_id": stream_id}, sort=[("stream_version", DESCENDING)], session=session
            )
            current = last["stream_version"] if last else 0
            if existing or first_version != current + 1:
                raise ConcurrencyConflict(stream_id, first_version, current)
            counter = await self._db["counters"].find_one_and_update(
                {"_id": "position"},
                {"$inc": {"value": len(docs)}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            assert counter is not None  # upsert with ReturnDocument.AFTER always returns one
            first_position = counter["value"] - len(docs) + 1
            positions = list(range(first_position, counter["value"] + 1))
            await self._db["events"].insert_many(
                [{"_id": p, **d} for p, d in zip(positions, docs, strict=True)], session=session
            )
            return AppendResult(positions=positions, appended=True)

        async with self._client.start_session() as session:
            result: AppendResult = await session.with_transaction(write)
            return result

    async def read_stream(self, stream_id: str) -> list[Envelope]:
        cursor = self._db["events"].find({"stream_id": stream_id}).sort("stream_version", 1)
        stored = [(str(d["event_id"]), bytes(d["body"])) async for d in cursor]
        return parse_stream(stream_id, stored)

    async def stream_version(self, stream_id: str) -> int:
        last = await self._db["events"].find_one(
            {"stream_id": stream_id}, sort=[("stream_version", DESCENDING)]
        )
        return int(last["stream_version"]) if last else 0

    async def read_from(
        self, after_position: int, limit: int, *, publishable_only: bool = False
    ) -> list[RecordedEvent]:
        query: dict[str, Any] = {"_id": {"$gt": after_position}}
        if publishable_only:
            query["publish"] = True
        cursor = self._db["events"].find(query).sort("_id", 1)
        return [
            RecordedEvent(
                d["_id"],
                UUID(d["event_id"]),
                d["stream_id"],
                d["stream_version"],
                d["routing_key"],
                bytes(d["body"]),
            )
            async for d in cursor.limit(limit)
        ]

    async def last_position(self) -> int:
        last = await self._db["events"].find_one({}, sort=[("_id", DESCENDING)])
        return int(last["_id"]) if last else 0

    async def count_publishable_after(self, position: int) -> int:
        return await self._db["events"].count_documents({"_id": {"$gt": position}, "publish": True})

    async def load_checkpoint(self, name: str) -> int:
        doc = await self._db["checkpoints"].find_one({"_id": name})
        return int(doc["position"]) if doc else 0

    async def save_checkpoint(self, name: str, position: int) -> None:
        await self._db["checkpoints"].update_one(
            {"_id": name}, {"$set": {"position": position}}, upsert=True
        )

    async def hold_lease(self, name: str, holder: str, ttl: float) -> bool:
        now = time.time()
        try:
            # Matches only a lease that is ours or expired; when another holds it, the upsert
            # tries to insert a second document with the same _id and fails.
            await self._db["leases"].update_one(
                {"_id": name, "$or": [{"holder": holder}, {"expires_at": {"$lt": now}}]},
                {"$set": {"holder": holder, "expires_at": now + ttl}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True


def _doc_filter(collection: str, where: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"collection": collection, **{f"doc.{k}": v for k, v in (where or {}).items()}}


class _MongoViewTransaction:
    def __init__(self, db: Mongo, session: AsyncClientSession) -> None:
        self._docs = db["view_documents"]
        self._session = session

    async def get(self, collection: str, key: str) -> Document | None:
        found = await self._docs.find_one(
            {"collection": collection, "key": key}, session=self._session
        )
        return dict(found["doc"]) if found else None

    async def put(self, collection: str, key: str, doc: Document) -> None:
        await self._docs.update_one(
            {"collection": collection, "key": key},
            {"$set": {"doc": doc}},
            upsert=True,
            session=self._session,
        )

    async def increment(self, collection: str, key: str, amounts: Mapping[str, float]) -> None:
        await self._docs.update_one(
            {"collection": collection, "key": key},
            {"$inc": {f"doc.{name}": amount for name, amount in amounts.items()}},
            upsert=True,
            session=self._session,
        )

    async def delete(self, collection: str, key: str) -> None:
        await self._docs.delete_one({"collection": collection, "key": key}, session=self._session)

    async def get_many(self, collection: str, keys: Iterable[str]) -> dict[str, Document]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        cursor = self._docs.find(
            {"collection": collection, "key": {"$in": wanted}}, session=self._session
        )
        return {d["key"]: dict(d["doc"]) async for d in cursor}

    async def put_many(self, collection: str, docs: Mapping[str, Document]) -> None:
        if docs:
            await self._docs.bulk_write(
                [
                    UpdateOne(
                        {"collection": collection, "key": key}, {"$set": {"doc": doc}}, upsert=True
                    )
                    for key, doc in docs.items()
                ],
                ordered=False,
                session=self._session,
            )


class MongoViewStore:
    def __init__(self, client: AsyncMongoClient[dict[str, Any]], db: Mongo) -> None:
        self._client = client
        self._db = db

    async def apply_once(self, event_id: UUID, effect: Effect) -> bool:
        return await self.apply_each_once([event_id], as_batch_effect(effect)) == 1

    async def apply_each_once(self, event_ids: Sequence[UUID], effect: BatchEffect) -> int:
        wanted = list(dict.fromkeys(str(event_id) for event_id in event_ids))

        async def apply(session: AsyncClientSession) -> int:
            applied = self._db["applied_events"]
            cursor = applied.find({"_id": {"$in": wanted}}, {"_id": 1}, session=session)
            seen = {doc["_id"] async for doc in cursor}
            new = [event_id for event_id in wanted if event_id not in seen]
            if new:
                await effect(_MongoViewTransaction(self._db, session), frozenset(map(UUID, new)))
                await applied.insert_many([{"_id": e} for e in new], session=session)
            return len(new)

        async with self._client.start_session() as session:
            result: int = await session.with_transaction(apply)
            return result

    async def is_applied(self, event_id: UUID) -> bool:
        return await self._db["applied_events"].find_one({"_id": str(event_id)}) is not None

    async def get(self, collection: str, key: str) -> Document | None:
        found = await self._db["view_documents"].find_one({"collection": collection, "key": key})
        return dict(found["doc"]) if found else None

    async def find(
        self, collection: str, where: Mapping[str, Any] | None = None, *, limit: int = 100
    ) -> list[Document]:
        cursor = self._db["view_documents"].find(_doc_filter(collection, where)).sort("key", 1)
        return [dict(d["doc"]) async for d in cursor.limit(limit)]

    async def count(self, collection: str, where: Mapping[str, Any] | None = None) -> int:
        return await self._db["view_documents"].count_documents(_doc_filter(collection, where))

    async def applied_count(self) -> int:
        return await self._db["applied_events"].count_documents({})

    async def reset(self) -> None:
        await self._db["view_documents"].delete_many({})
        await self._db["applied_events"].delete_many({})

    async def set_aside(self, event: SetAsideEvent) -> None:
        await self._db["set_aside"].update_one(
            {"_id": _set_aside_id(event.reader, event.key)},
            {
                "$set": {
                    "reader": event.reader,
                    "key": event.key,
                    "body": event.body,
                    "reason": event.reason,
                    "set_aside_at": event.set_aside_at,
                    "routing_key": event.routing_key,
                    "stream_id": event.stream_id,
                },
                "$inc": {"failures": event.failures},
            },
            upsert=True,
        )

    async def set_aside_events(
        self, reader: str | None = None, *, limit: int = 100
    ) -> list[SetAsideEvent]:
        query = {} if reader is None else {"reader": reader}
        cursor = (
            self._db["set_aside"]
            .find(query)
            .sort([("set_aside_at", ASCENDING), ("reader", ASCENDING), ("key", ASCENDING)])
        )
        return [
            SetAsideEvent(
                reader=d["reader"],
                key=d["key"],
                body=bytes(d["body"]),
                reason=d["reason"],
                set_aside_at=d["set_aside_at"],
                routing_key=d["routing_key"],
                stream_id=d["stream_id"],
                failures=int(d["failures"]),
            )
            async for d in cursor.limit(limit)
        ]

    async def set_aside_counts(self) -> dict[str, int]:
        pipeline: list[dict[str, Any]] = [{"$group": {"_id": "$reader", "count": {"$sum": 1}}}]
        cursor = await self._db["set_aside"].aggregate(pipeline)
        return {d["_id"]: int(d["count"]) async for d in cursor}

    async def release(self, reader: str, key: str | None = None) -> int:
        query = {"reader": reader} if key is None else {"_id": _set_aside_id(reader, key)}
        result = await self._db["set_aside"].delete_many(query)
        return result.deleted_count


def _set_aside_id(reader: str, key: str) -> str:
    return f"{reader}|{key}"
