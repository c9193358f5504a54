"""Read-model views in MongoDB: documents in one collection, the events applied to them in
another, and the set-aside events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Final
from uuid import UUID

from pymongo import ASCENDING, AsyncMongoClient, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

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
from sipokat.events.store.mongo.errors import contract_errors
from sipokat.events.store.mongo.transactions import in_transaction

Mongo = Any  # AsyncDatabase[dict[str, Any]]

DOCUMENTS: Final = "view_documents"
APPLIED: Final = "applied_events"
# A reset in progress: written before the first collection is dropped, deleted after the last.
# Found when the store opens, the reset is finished then (`MongoViewStore.finish_reset`).
RESET_MARKER: Final = {"_id": "reset"}


def doc_filter(collection: str, where: Mapping[str, Any] | None) -> dict[str, Any]:
    """The filter of `find`/`count`, equal to SQLite's: `$expr` equality compares a field as a
    whole (a plain `{"doc.x": 1}` would also match an array holding 1) and by type (True is no
    1; 1 is 1.0), and `$literal` keeps a value that starts with "$" a value. Names are checked
    identifiers (`where_matches_nothing`), so no dotted path reaches here."""
    if not where:
        return {"collection": collection}
    equal = [{"$eq": [f"$doc.{name}", {"$literal": value}]} for name, value in where.items()]
    return {"collection": collection, "$expr": {"$and": equal}}


async def create_view_indexes(db: Mongo) -> None:
    await db[DOCUMENTS].create_index([("collection", ASCENDING), ("key", ASCENDING)], unique=True)
    await db["set_aside"].create_index([("reader", ASCENDING), ("set_aside_at", ASCENDING)])


class _MongoViewTransaction:
    def __init__(self, db: Mongo, session: AsyncClientSession) -> None:
        self._docs = db[DOCUMENTS]
        self._session = session

    async def get(self, collection: str, key: str) -> Document | None:
        found = await self._docs.find_one(
            {"collection": collection, "key": key}, session=self._session
        )
        return dict(found["doc"]) if found else None

    async def put(self, collection: str, key: str, doc: Document) -> None:
        check_storable(doc)
        await self._docs.update_one(
            {"collection": collection, "key": key},
            {"$set": {"doc": doc}},
            upsert=True,
            session=self._session,
        )

    async def increment(self, collection: str, key: str, amounts: Mapping[str, float]) -> None:
        # A sum past int64 is refused by the server (BadValue), mapped to UnstorableValue.
        check_storable(amounts)
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
            check_storable(docs)
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
            applied = self._db[APPLIED]
            cursor = applied.find({"_id": {"$in": wanted}}, {"_id": 1}, session=session)
            seen = {doc["_id"] async for doc in cursor}
            new = [event_id for event_id in wanted if event_id not in seen]
            if new:
                await effect(_MongoViewTransaction(self._db, session), frozenset(map(UUID, new)))
                await applied.insert_many([{"_id": e} for e in new], session=session)
            return len(new)

        return await in_transaction(self._client, apply)

    @contract_errors
    async def is_applied(self, event_id: UUID) -> bool:
        return await self._db[APPLIED].find_one({"_id": str(event_id)}) is not None

    @contract_errors
    async def get(self, collection: str, key: str) -> Document | None:
        found = await self._db[DOCUMENTS].find_one({"collection": collection, "key": key})
        return dict(found["doc"]) if found else None

    @contract_errors
    async def find(
        self, collection: str, where: Mapping[str, Any] | None = None, *, limit: int = 100
    ) -> list[Document]:
        check_limit(limit)
        if where_matches_nothing(where) or limit == 0:  # limit(0) is no limit to MongoDB
            return []
        cursor = self._db[DOCUMENTS].find(doc_filter(collection, where)).sort("key", 1)
        return [dict(d["doc"]) async for d in cursor.limit(limit)]

    @contract_errors
    async def count(self, collection: str, where: Mapping[str, Any] | None = None) -> int:
        if where_matches_nothing(where):
            return 0
        return int(await self._db[DOCUMENTS].count_documents(doc_filter(collection, where)))

    @contract_errors
    async def applied_count(self) -> int:
        return int(await self._db[APPLIED].count_documents({}))

    @contract_errors
    async def reset(self) -> None:
        for step in self.reset_steps():
            await step()

    def reset_steps(self) -> list[Callable[[], Awaitable[None]]]:
        """Mark, drop the applied records, drop the documents (and index them again), unmark.

        Dropping a collection is one operation whatever it holds (two `delete_many` were one
        write per document, and a crash between them left applied records whose documents
        were gone: the replay skipped those events). The marker makes it restartable: a
        reset that stopped after it is finished by the next reset or open."""
        state = self._db["view_state"]

        async def mark() -> None:
            await state.update_one(RESET_MARKER, {"$currentDate": {"since": True}}, upsert=True)

        async def unmark() -> None:
            await state.delete_one(RESET_MARKER)

        return [mark, self._drop_applied, self._drop_documents, unmark]

    async def _drop_applied(self) -> None:
        await self._db[APPLIED].drop()

    async def _drop_documents(self) -> None:
        await self._db[DOCUMENTS].drop()
        await create_view_indexes(self._db)

    @contract_errors
    async def finish_reset(self) -> None:
        """Finish a reset a crash interrupted (the marker is still there); else nothing."""
        if await self._db["view_state"].find_one(RESET_MARKER) is not None:
            for step in self.reset_steps()[1:]:
                await step()

    @contract_errors
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

    @contract_errors
    async def set_aside_events(
        self, reader: str | None = None, *, limit: int = 100
    ) -> list[SetAsideEvent]:
        check_limit(limit)
        if limit == 0:
            return []
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

    @contract_errors
    async def set_aside_counts(self) -> dict[str, int]:
        pipeline: list[dict[str, Any]] = [{"$group": {"_id": "$reader", "count": {"$sum": 1}}}]
        cursor = await self._db["set_aside"].aggregate(pipeline)
        return {d["_id"]: int(d["count"]) async for d in cursor}

    @contract_errors
    async def release(self, reader: str, key: str | None = None) -> int:
        query = {"reader": reader} if key is None else {"_id": _set_aside_id(reader, key)}
        result = await self._db["set_aside"].delete_many(query)
        return int(result.deleted_count)


def _set_aside_id(reader: str, key: str) -> str:
    return f"{reader}|{key}"
