"""The MongoDB adapter's parts that run without a server: its settings, the concerns it asks
for, the error mapping, the bounded transaction loop, the group plan and the lease's update.

What needs a server is in the contract suite (test_store_contract.py, run against a replica set
with MONGODB_URL) and in the server cases at the end of this file.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, cast
from uuid import uuid4

import pytest
import pytest_asyncio
from bson.errors import InvalidDocument
from pymongo import AsyncMongoClient
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConfigurationError,
    DocumentTooLarge,
    DuplicateKeyError,
    ExecutionTimeout,
    InvalidOperation,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WriteConcernError,
    WriteError,
    WTimeoutError,
)

from sipokat.events.setaside import is_event_fault
from sipokat.events.store import ConcurrencyConflict, StoreUnavailable, UnstorableValue
from sipokat.events.store.base import AppendResult
from sipokat.events.store.mongo.client import (
    OPERATION_SECONDS,
    SERVER_SELECTION_SECONDS,
    TRANSACTION,
    client_options,
    connect,
)
from sipokat.events.store.mongo.database import MongoDatabase
from sipokat.events.store.mongo.errors import clashing_key, store_error
from sipokat.events.store.mongo.events import GroupPlan, held_by, lease_update
from sipokat.events.store.mongo.transactions import in_transaction
from sipokat.events.store.mongo.views import doc_filter

URL = "mongodb://db-1.invalid:27017,db-2.invalid:27017/?replicaSet=rs0"

# ---------------------------------------------------------------- settings and concerns


async def test_the_client_bounds_selection_and_every_operation_and_names_the_service() -> None:
    client = connect(URL, "sipokat-intake")  # connects on first use: no server needed here
    try:
        options = client.options
        assert options.server_selection_timeout == SERVER_SELECTION_SECONDS < 30
        assert options.timeout == OPERATION_SECONDS  # CSOT: timeoutMS
        assert options.pool_options.metadata["application"] == {"name": "sipokat-intake"}
        assert options.retry_writes and options.retry_reads
    finally:
        await client.close()


def test_the_url_keeps_what_it_sets() -> None:
    url = "mongodb://db.invalid/?serverSelectionTimeoutMS=1500&appName=ops&timeoutms=0"
    options = client_options(url, "sipokat-intake")
    assert "serverSelectionTimeoutMS" not in options and "appname" not in options
    assert "timeoutMS" not in options  # names are case-insensitive in a URL
    assert options["retryWrites"] is True and options["tz_aware"] is True


async def test_reads_and_writes_ask_for_a_majority_whatever_the_server_default() -> None:
    database = MongoDatabase(connect(URL + "&w=1&readConcernLevel=local", "t"), "sipokat_t")
    try:
        assert database.db.read_concern.document == {"level": "majority"}
        assert database.db.write_concern.document == {"w": "majority"}
        for name in ("events", "checkpoints", "leases", "view_documents", "applied_events"):
            assert database.db[name].read_concern.level == "majority"
            assert database.db[name].write_concern.document == {"w": "majority"}
    finally:
        await database.close()
    assert TRANSACTION.write_concern is not None
    assert TRANSACTION.write_concern.document == {"w": "majority"}
    assert TRANSACTION.read_concern is not None
    assert TRANSACTION.read_concern.level == "snapshot"


# ---------------------------------------------------------------- errors


def _failure(code: int, labels: tuple[str, ...] = ()) -> OperationFailure:
    return OperationFailure("failed", code, {"code": code, "errorLabels": list(labels)})


@pytest.mark.parametrize(
    "error",
    [
        ServerSelectionTimeoutError("no primary"),
        NetworkTimeout("timed out"),
        AutoReconnect("connection reset"),
        NotPrimaryError("not primary", {"code": 10107}),
        ExecutionTimeout("operation exceeded time limit", 50),
        WTimeoutError("waiting for replication timed out", 64),
        WriteConcernError("write concern not satisfied", 100),
        InvalidOperation("Cannot use AsyncMongoClient after close"),
        ConfigurationError("transactions need a replica set"),
        _failure(112, ("TransientTransactionError",)),  # WriteConflict
        _failure(251, ("TransientTransactionError",)),  # NoSuchTransaction
        _failure(2, ("TransientTransactionError",)),  # transient beats the code
        _failure(13),  # Unauthorized: the deployment's, not the event's
        _failure(20),  # IllegalOperation: a standalone server
        _failure(9999),  # unknown: the store's fault by default
    ],
    ids=repr,
)
def test_store_faults_are_store_unavailable(error: PyMongoError) -> None:
    mapped = store_error(error)
    assert isinstance(mapped, StoreUnavailable)
    assert not is_event_fault(mapped)  # a reader retries; it does not set the event aside


@pytest.mark.parametrize(
    "error",
    [
        OverflowError("MongoDB can only handle up to 8-byte ints"),
        InvalidDocument("cannot encode object"),
        DocumentTooLarge("BSON document too large"),
        WriteError("Failed to apply $inc operations to current value", 2),
        WriteError("Cannot apply $inc to a value of non-numeric type", 14),
        _failure(10334),
        BulkWriteError({"writeErrors": [{"index": 0, "code": 17419, "errmsg": "too large"}]}),
    ],
    ids=repr,
)
def test_value_faults_are_unstorable_value(error: Exception) -> None:
    mapped = store_error(error)
    assert isinstance(mapped, UnstorableValue) and isinstance(mapped, ValueError)
    assert is_event_fault(mapped)  # a reader sets it aside


@pytest.mark.parametrize(
    "error", [ConcurrencyConflict("s", 2, 1), ValueError("not a field name"), KeyError("x")]
)
def test_errors_that_are_not_the_drivers_pass_through(error: Exception) -> None:
    assert store_error(error) is error


def test_a_duplicate_key_names_its_index() -> None:
    position = DuplicateKeyError("E11000", 11000, {"code": 11000, "keyPattern": {"_id": 1}})
    assert clashing_key(position) == {"_id": 1}
    bulk = BulkWriteError(
        {
            "writeErrors": [
                {"index": 1, "code": 11000, "keyPattern": {"stream_id": 1, "stream_version": 1}}
            ]
        }
    )
    assert clashing_key(bulk) == {"stream_id": 1, "stream_version": 1}
    assert clashing_key(BulkWriteError({"writeErrors": [{"index": 0, "code": 2}]})) is None
    assert clashing_key(AutoReconnect("x")) is None


# ---------------------------------------------------------------- the transaction loop


class _Session:
    """Scripted outcomes of a session's transaction calls (the driver's side of the loop)."""

    def __init__(self, commit_errors: list[PyMongoError] | None = None) -> None:
        self.commit_errors = commit_errors or []
        self.in_transaction = False
        self.started = self.commits = self.aborts = 0

    async def __aenter__(self) -> _Session:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def start_transaction(self, *_: object) -> None:
        self.in_transaction = True
        self.started += 1

    async def commit_transaction(self) -> None:
        if self.commit_errors:
            raise self.commit_errors.pop(0)
        self.in_transaction = False
        self.commits += 1

    async def abort_transaction(self) -> None:
        self.in_transaction = False
        self.aborts += 1


class _Client:
    def __init__(self, session: _Session) -> None:
        self.session = session

    def start_session(self) -> _Session:
        return self.session


def _client(session: _Session) -> AsyncMongoClient[dict[str, Any]]:
    return cast(AsyncMongoClient[dict[str, Any]], _Client(session))


async def test_a_transient_failure_runs_the_transaction_again() -> None:
    session = _Session()
    runs: list[int] = []

    async def work(_: object) -> str:
        runs.append(1)
        if len(runs) < 3:
            raise _failure(112, ("TransientTransactionError",))
        return "done"

    assert await in_transaction(_client(session), work) == "done"
    assert len(runs) == 3 and session.aborts == 2 and session.commits == 1


async def test_transient_failures_past_the_bound_are_store_unavailable() -> None:
    session = _Session()

    async def work(_: object) -> None:
        raise _failure(112, ("TransientTransactionError",))

    with pytest.raises(StoreUnavailable, match="failed"):
        await in_transaction(_client(session), work, seconds=0.2)
    assert session.started > 1 and session.commits == 0


async def test_an_unknown_commit_result_retries_the_commit_alone() -> None:
    unknown = AutoReconnect("connection closed during commit")
    unknown._add_error_label("UnknownTransactionCommitResult")
    session = _Session([unknown, unknown])
    runs: list[int] = []

    async def work(_: object) -> int:
        runs.append(1)
        return 7

    assert await in_transaction(_client(session), work) == 7
    assert runs == [1] and session.started == 1 and session.commits == 1


async def test_a_transient_commit_failure_runs_the_whole_transaction_again() -> None:
    session = _Session([_failure(112, ("TransientTransactionError",))])
    runs: list[int] = []

    async def work(_: object) -> int:
        runs.append(1)
        return len(runs)

    assert await in_transaction(_client(session), work) == 2
    assert session.started == 2 and session.commits == 1


async def test_a_lasting_failure_is_store_unavailable_at_once() -> None:
    session = _Session()

    async def work(_: object) -> None:
        raise ServerSelectionTimeoutError("no primary")

    with pytest.raises(StoreUnavailable, match="no primary"):
        await in_transaction(_client(session), work)
    assert session.started == 1 and session.aborts == 1


async def test_the_callers_own_errors_abort_and_pass_through() -> None:
    session = _Session()

    async def work(_: object) -> None:
        raise ConcurrencyConflict("report-1", 2, 3)

    with pytest.raises(ConcurrencyConflict):
        await in_transaction(_client(session), work)
    assert session.started == 1 and session.aborts == 1 and session.commits == 0


# ---------------------------------------------------------------- group commit


def _doc(stream: str, version: int, event_id: str | None = None) -> dict[str, Any]:
    return {"event_id": event_id or str(uuid4()), "stream_id": stream, "stream_version": version}


def test_a_group_is_judged_append_by_append_as_one_at_a_time_would_be() -> None:
    stored_id = str(uuid4())
    fresh, other = _doc("report-a", 1), _doc("report-b", 3)
    rival = _doc("report-a", 1)  # the same version as `fresh`, after it: a conflict
    retry = _doc("report-s", 1, stored_id)  # stored before: a no-op
    twice = _doc("report-c", 1)
    mixed = [_doc("report-s", 1, stored_id), _doc("report-s", 2)]
    stale = _doc("report-b", 2)
    group = [[fresh], [rival], [retry], [twice], [twice], mixed, [other], [stale]]
    plan = GroupPlan.of(group, {stored_id: 4}, {"report-s": 1, "report-b": 2})
    assert [d["event_id"] for d in plan.new] == [
        fresh["event_id"],
        twice["event_id"],
        other["event_id"],
    ]
    results = plan.results({stored_id: 4}, first_position=10)
    assert results[0] == AppendResult(positions=[10], appended=True)
    assert isinstance(results[1], ConcurrencyConflict) and results[1].current_version == 1
    assert results[2] == AppendResult(positions=[4], appended=False)
    assert results[3] == AppendResult(positions=[11], appended=True)
    assert results[4] == AppendResult(positions=[11], appended=False)  # the same moment
    assert isinstance(results[5], ConcurrencyConflict)
    assert results[6] == AppendResult(positions=[12], appended=True)
    assert isinstance(results[7], ConcurrencyConflict) and results[7].current_version == 3


def test_a_group_with_nothing_new_takes_no_position() -> None:
    stored_id = str(uuid4())
    plan = GroupPlan.of([[_doc("report-s", 1, stored_id)]], {stored_id: 9}, {"report-s": 1})
    assert plan.new == []
    assert plan.results({stored_id: 9}, 0) == [AppendResult(positions=[9], appended=False)]


# ---------------------------------------------------------------- lease and filters


def _nodes(node: Any) -> list[Any]:
    """`node` and everything inside it."""
    inside = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    return [node, *(n for child in inside for n in _nodes(child))]


def test_a_lease_is_judged_by_the_servers_clock_alone() -> None:
    update = lease_update("host:1:abc", ttl=7.5)
    nodes = _nodes(update)
    # The expiry is the server's now + ttl, and compared with the server's now.
    assert {"$add": ["$$NOW", 7500]} in nodes
    assert {"$lte": [{"$ifNull": ["$expires_at", None]}, "$$NOW"]} in nodes
    # Nothing of this process's clock: no time and no number but the ttl in milliseconds.
    numbers = [n for n in nodes if isinstance(n, int | float) and not isinstance(n, bool)]
    assert set(numbers) == {7500}
    # The holder is a value, even one that would read as a field path.
    assert {"$literal": "$holder"} in _nodes(lease_update("$holder", 1))
    assert held_by("relay", "h") == {
        "_id": "relay",
        "holder": "h",
        "$expr": {"$gt": ["$expires_at", "$$NOW"]},
    }


def test_a_filter_compares_whole_fields_and_keeps_values_values() -> None:
    assert doc_filter("reports", None) == {"collection": "reports"}
    assert doc_filter("reports", {"status": "$x", "n": 1}) == {
        "collection": "reports",
        "$expr": {
            "$and": [
                {"$eq": ["$doc.status", {"$literal": "$x"}]},
                {"$eq": ["$doc.n", {"$literal": 1}]},
            ]
        },
    }


# ---------------------------------------------------------------- on a server (replica set)


@pytest_asyncio.fixture
async def mongo(mongodb_url: str) -> AsyncIterator[tuple[str, str]]:
    name = f"test_{uuid4().hex[:16]}"
    yield mongodb_url, name
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url)
    try:
        await client.drop_database(name)
    finally:
        await client.close()


@pytest.mark.mongodb
async def test_a_counter_behind_the_events_is_repaired(mongo: tuple[str, str]) -> None:
    from sipokat.events.testing import make_submitted

    url, name = mongo
    database = await MongoDatabase.open(url, name)
    try:
        first = await database.events.append([make_submitted()])
        # A counter set back (a restore, a hand edit): the open repairs it...
        await database.db["counters"].update_one({"_id": "position"}, {"$set": {"value": 0}})
        reopened = await MongoDatabase.open(url, name)
        second = await reopened.events.append([make_submitted()])
        assert second.positions[0] > first.positions[0]
        await reopened.close()
        # ...and so does an append that finds its position taken.
        await database.db["counters"].update_one({"_id": "position"}, {"$set": {"value": 0}})
        third = await database.events.append([make_submitted()])
        assert third.appended and third.positions[0] > second.positions[0]
    finally:
        await database.close()


@pytest.mark.mongodb
async def test_the_relays_read_uses_its_index(mongo: tuple[str, str]) -> None:
    url, name = mongo
    database = await MongoDatabase.open(url, name)
    try:
        plan = await database.db.command(
            "explain",
            {"find": "events", "filter": {"publish": True, "_id": {"$gt": 0}}, "sort": {"_id": 1}},
        )
        assert "events_publishable" in json.dumps(plan, default=str)
    finally:
        await database.close()
