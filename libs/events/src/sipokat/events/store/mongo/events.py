"""The event store in MongoDB: appends grouped into one transaction per process, positions
from a counter document, the relay's lease and checkpoint judged by the server's clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

from pymongo import DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError, DuplicateKeyError

from sipokat.events.envelope import Envelope
from sipokat.events.store.base import (
    AppendResult,
    ConcurrencyConflict,
    RecordedEvent,
    StoreUnavailable,
    check_batch,
    check_limit,
    parse_stream,
)
from sipokat.events.store.group import GroupCommit
from sipokat.events.store.mongo.errors import clashing_key, contract_errors
from sipokat.events.store.mongo.transactions import in_transaction

Mongo = Any  # AsyncDatabase[dict[str, Any]]
Doc = dict[str, Any]

# A group's transaction stays far below MongoDB's limits (16 MB a document, 60 s a transaction).
_MOST_PER_GROUP: Final = 500
# A position taken (a counter behind the events) is repaired and the group run again; more
# clashes than this mean something else writes positions.
_CLASH_RETRIES: Final = 3
COUNTER: Final = "position"


class KeyClash(Exception):
    """An insert of the group hit a unique index; the transaction is aborted."""

    def __init__(self, key: Mapping[str, Any]) -> None:
        super().__init__(f"duplicate key on {dict(key)}")
        self.key = key


@dataclass
class GroupPlan:
    """What one transaction does with a group of appends, from what it read first: the
    events already stored (event id → position) and each stream's current version.

    Appends are judged in order, each seeing the ones before it, as one at a time would be:
    all of an append's events stored already is a no-op, any other overlap or a first version
    that is not the next a `ConcurrencyConflict`; the rest are new and take positions in order.
    """

    new: list[Doc] = field(default_factory=list)
    outcomes: list[list[str] | ConcurrencyConflict] = field(default_factory=list)
    appended: list[bool] = field(default_factory=list)

    @classmethod
    def of(
        cls, group: Sequence[list[Doc]], stored: Mapping[str, int], versions: Mapping[str, int]
    ) -> GroupPlan:
        plan = cls()
        known: dict[str, int | None] = dict(stored)  # None: new in this group
        current = dict(versions)
        for docs in group:
            ids = [d["event_id"] for d in docs]
            there = [i for i in ids if i in known]
            stream_id, first = docs[0]["stream_id"], docs[0]["stream_version"]
            if there and len(there) == len(ids):
                plan.outcomes.append(ids)
                plan.appended.append(False)
                continue
            version = current.get(stream_id, 0)
            if there or first != version + 1:
                plan.outcomes.append(ConcurrencyConflict(stream_id, first, version))
                plan.appended.append(False)
                continue
            for doc in docs:
                known[doc["event_id"]] = None
                plan.new.append(doc)
            current[stream_id] = docs[-1]["stream_version"]
            plan.outcomes.append(ids)
            plan.appended.append(True)
        return plan

    def results(
        self, stored: Mapping[str, int], first_position: int
    ) -> list[AppendResult | BaseException]:
        """Each append's outcome, once the new events are at positions from `first_position`."""
        at = dict(stored)
        at.update({d["event_id"]: first_position + i for i, d in enumerate(self.new)})
        return [
            outcome
            if isinstance(outcome, ConcurrencyConflict)
            else AppendResult(positions=[at[i] for i in outcome], appended=appended)
            for outcome, appended in zip(self.outcomes, self.appended, strict=True)
        ]


def _recorded(d: Doc) -> RecordedEvent:
    return RecordedEvent(
        d["_id"],
        UUID(d["event_id"]),
        d["stream_id"],
        d["stream_version"],
        d["routing_key"],
        bytes(d["body"]),
    )


def lease_update(holder: str, ttl: float) -> list[Doc]:
    """The update pipeline that takes or renews a lease: the holder's own, or an expired one
    (or none yet), becomes `holder`'s until the server's now + ttl; another's live lease is
    left as it is. `$$NOW` is the server's clock, one for every replica of the service: each
    replica's own clock, with a few seconds' skew, would take a live lease over. (An expiry
    stored as a number by an earlier version sorts below any date: it counts as expired.)"""
    free = {
        "$or": [
            {"$eq": ["$holder", {"$literal": holder}]},
            {"$lte": [{"$ifNull": ["$expires_at", None]}, "$$NOW"]},
        ]
    }
    return [
        {
            "$set": {
                "holder": {"$cond": [free, {"$literal": holder}, "$holder"]},
                "expires_at": {
                    "$cond": [free, {"$add": ["$$NOW", round(ttl * 1000)]}, "$expires_at"]
                },
            }
        }
    ]


def held_by(name: str, holder: str) -> Doc:
    """The filter of lease `name` while `holder` holds it, by the server's clock."""
    return {"_id": name, "holder": holder, "$expr": {"$gt": ["$expires_at", "$$NOW"]}}


class MongoEventStore:
    def __init__(self, client: AsyncMongoClient[dict[str, Any]], db: Mongo) -> None:
        self._client = client
        self._events = db["events"]
        self._counters = db["counters"]
        self._checkpoints = db["checkpoints"]
        self._leases = db["leases"]
        self._group_commit: GroupCommit[list[Doc], AppendResult] = GroupCommit(
            self._commit_group, most=_MOST_PER_GROUP
        )

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
        return await self._group_commit.submit(docs)

    async def _commit_group(self, group: list[list[Doc]]) -> list[AppendResult | BaseException]:
        for _ in range(_CLASH_RETRIES):
            try:
                return await in_transaction(self._client, lambda s: self._write_group(s, group))
            except KeyClash as clash:
                # A position taken: the counter is behind the events (restored from a backup,
                # or written by hand). An event id or a stream version taken: the events came
                # in after this transaction's snapshot; the next run sees them and says so.
                if "_id" in clash.key:
                    await self.repair_counter()
        raise StoreUnavailable("appends kept clashing on unique keys; gave up")

    async def _write_group(
        self, session: AsyncClientSession, group: list[list[Doc]]
    ) -> list[AppendResult | BaseException]:
        ids = [d["event_id"] for docs in group for d in docs]
        found = self._events.find({"event_id": {"$in": ids}}, {"event_id": 1}, session=session)
        stored = {d["event_id"]: int(d["_id"]) async for d in found}
        streams = list({docs[0]["stream_id"] for docs in group})
        cursor = await self._events.aggregate(
            [
                {"$match": {"stream_id": {"$in": streams}}},
                {"$group": {"_id": "$stream_id", "version": {"$max": "$stream_version"}}},
            ],
            session=session,
        )
        versions = {d["_id"]: int(d["version"]) async for d in cursor}
        plan = GroupPlan.of(group, stored, versions)
        if not plan.new:
            return plan.results(stored, 0)
        # Every append's transaction writes this one document, so two that overlap conflict
        # and one is run again: positions commit in order, and the relay never passes a
        # position that a slower transaction would commit later.
        counter = await self._counters.find_one_and_update(
            {"_id": COUNTER},
            {"$inc": {"value": len(plan.new)}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        first = int(counter["value"]) - len(plan.new) + 1
        try:
            await self._events.insert_many(
                [{"_id": first + i, **doc} for i, doc in enumerate(plan.new)], session=session
            )
        except (DuplicateKeyError, BulkWriteError) as exc:
            key = clashing_key(exc)
            if key is None:
                raise
            raise KeyClash(key) from exc
        return plan.results(stored, first)

    @contract_errors
    async def repair_counter(self) -> None:
        """The counter at least at the highest position stored: a counter behind it would
        hand out positions that are taken."""
        last = await self._events.find_one({}, {"_id": 1}, sort=[("_id", DESCENDING)])
        await self._counters.update_one(
            {"_id": COUNTER}, {"$max": {"value": int(last["_id"]) if last else 0}}, upsert=True
        )

    @contract_errors
    async def read_stream(self, stream_id: str) -> list[Envelope]:
        cursor = self._events.find({"stream_id": stream_id}).sort("stream_version", 1)
        stored = [(str(d["event_id"]), bytes(d["body"])) async for d in cursor]
        return parse_stream(stream_id, stored)

    @contract_errors
    async def stream_version(self, stream_id: str) -> int:
        last = await self._events.find_one(
            {"stream_id": stream_id}, {"stream_version": 1}, sort=[("stream_version", DESCENDING)]
        )
        return int(last["stream_version"]) if last else 0

    # The outbox reads (these three) and every catch-up read with read concern majority (the
    # database handle's, client.READ): see there why.
    @contract_errors
    async def read_from(
        self, after_position: int, limit: int, *, publishable_only: bool = False
    ) -> list[RecordedEvent]:
        check_limit(limit)
        if limit == 0:
            return []
        query: Doc = {"_id": {"$gt": after_position}}
        if publishable_only:
            query["publish"] = True  # the index (publish, _id), like SQLite's events_publishable
        cursor = self._events.find(query).sort("_id", 1).limit(limit)
        return [_recorded(d) async for d in cursor]

    @contract_errors
    async def last_position(self) -> int:
        last = await self._events.find_one({}, {"_id": 1}, sort=[("_id", DESCENDING)])
        return int(last["_id"]) if last else 0

    @contract_errors
    async def count_publishable_after(self, position: int) -> int:
        query = {"publish": True, "_id": {"$gt": position}}
        return int(await self._events.count_documents(query))

    @contract_errors
    async def load_checkpoint(self, name: str) -> int:
        doc = await self._checkpoints.find_one({"_id": name})
        return int(doc["position"]) if doc else 0

    @contract_errors
    async def save_checkpoint(self, name: str, position: int) -> None:
        await self._checkpoints.update_one(
            {"_id": name}, {"$set": {"position": position}}, upsert=True
        )

    async def advance_checkpoint(self, name: str, position: int, *, holder: str) -> bool:
        async def advance(session: AsyncClientSession) -> bool:
            # Writing the lease document too makes a takeover that commits meanwhile conflict
            # with this transaction (one of the two runs again), rather than both committing.
            held = await self._leases.update_one(
                held_by(name, holder), {"$currentDate": {"advanced_at": True}}, session=session
            )
            if held.matched_count == 0:
                return False
            await self._checkpoints.update_one(
                {"_id": name}, {"$max": {"position": position}}, upsert=True, session=session
            )
            return True

        return await in_transaction(self._client, advance)

    @contract_errors
    async def hold_lease(self, name: str, holder: str, ttl: float) -> bool:
        # An equality on _id only, so the server itself retries an upsert that races another
        # (MongoDB 4.2+); should one still fail on the duplicate, the lease exists now and the
        # same update, run again, judges it.
        for attempt in range(2):
            try:
                lease = await self._leases.find_one_and_update(
                    {"_id": name},
                    lease_update(holder, ttl),
                    projection={"holder": 1},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                if attempt:
                    raise
                continue
            return lease is not None and lease.get("holder") == holder
        return False
