"""The storage contract (DESIGN §5), written once and run against every backend.

`database` / `database_factory` are parametrized over the backends (sqlite and memory always;
mongodb when a server is reachable), so every test here runs once per backend. A test of what
outlives a process (`durable`: a store reopened, a crash) does not run on memory.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from sipokat.events import BidangDana, Envelope, FundProgress, ReportKind
from sipokat.events.bounds import MAX_RUPIAH
from sipokat.events.setaside import is_event_fault
from sipokat.events.store import (
    ConcurrencyConflict,
    Database,
    Document,
    StoreUnavailable,
    UnreadableEvent,
    UnstorableValue,
    ViewTransaction,
    apply_each_once_returning,
    apply_once_returning,
)
from sipokat.events.store.base import INT_MAX, INT_MIN, AppendResult, SetAsideEvent
from sipokat.events.testing import (
    EVERY_BACKEND,
    DatabaseFactory,
    RerunEffects,
    make_approved,
    make_content,
    make_rejected,
    make_stream,
    make_submitted,
    sample_events,
)


@pytest.fixture(params=EVERY_BACKEND)
def store_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# ---------------------------------------------------------------- event store


async def test_append_and_read_stream(database: Database) -> None:
    events = sample_events()
    result = await database.events.append(events[:1])
    assert result.appended and len(result.positions) == 1
    result = await database.events.append(events[1:])
    assert result.appended and len(result.positions) == len(events) - 1
    stream = await database.events.read_stream(events[0].stream_id)
    assert stream == events
    assert await database.events.stream_version(events[0].stream_id) == len(events)
    assert await database.events.stream_version("report-nobody") == 0
    assert await database.events.read_stream("report-nobody") == []


async def test_every_value_at_its_bound_is_held(database: Database) -> None:
    """The contract's bounds are what every backend holds (SQLite's document encoding, BSON)."""
    content = make_content(
        ReportKind.PROGRES_DANA,
        title="T" * 200,
        description=("baris\tdengan tab dan 🧹\n" * 300)[:5000],
        fund=FundProgress(
            programme="P" * 200,
            amount_rupiah=MAX_RUPIAH,
            progress_percent=100,
            bidang_dana=BidangDana.EKONOMI,
        ),
    )
    event = make_submitted(content=content)
    await database.events.append([event])
    assert await database.events.read_stream(event.stream_id) == [event]


async def test_a_stream_with_an_event_that_does_not_parse_says_what_it_could_read(
    database: Database,
) -> None:
    first = make_submitted()
    # A type this code does not know, as a newer producer may have written.
    unknown = first.model_copy(
        update={"event_id": uuid4(), "stream_version": 2, "type": "ReportExploded"}
    )
    await database.events.append([first])
    await database.events.append([unknown], publish=False)
    with pytest.raises(UnreadableEvent) as caught:
        await database.events.read_stream(first.stream_id)
    assert caught.value.stream_id == first.stream_id
    assert caught.value.event_id == str(unknown.event_id)
    assert caught.value.readable == [first]
    assert b"ReportExploded" in caught.value.body
    assert await database.events.stream_version(first.stream_id) == 2
    stored = await database.events.read_from(0, 10)
    assert [e.event_id for e in stored] == [first.event_id, unknown.event_id]


async def test_stale_stream_version_conflicts_and_overwrites_nothing(database: Database) -> None:
    report_id = uuid4()
    first = make_submitted(report_id)
    second = make_approved(report_id, stream_version=2)
    await database.events.append([first])
    await database.events.append([second])

    # A writer that read version 1 and appends "version 2" again, with its own event.
    stale = make_rejected(report_id, stream_version=2)
    with pytest.raises(ConcurrencyConflict) as caught:
        await database.events.append([stale])
    assert caught.value.stream_id == first.stream_id
    assert caught.value.attempted_version == 2
    assert caught.value.current_version == 2
    assert "at version 2" in str(caught.value)

    # A writer that skips ahead conflicts too.
    with pytest.raises(ConcurrencyConflict):
        await database.events.append([make_rejected(report_id, stream_version=5)])

    assert await database.events.read_stream(first.stream_id) == [first, second]
    assert await database.events.last_position() == 2


async def test_first_event_of_a_stream_must_be_version_1(database: Database) -> None:
    with pytest.raises(ConcurrencyConflict) as caught:
        await database.events.append([make_approved(uuid4(), stream_version=2)])
    assert caught.value.current_version == 0
    assert await database.events.last_position() == 0


async def test_reappending_the_same_events_is_a_no_op(database: Database) -> None:
    events = make_stream(3)
    first = await database.events.append(events)
    assert first.appended
    again = await database.events.append(events)
    assert not again.appended
    assert again.positions == first.positions
    # a retry of only part of an earlier batch is a no-op too
    part = await database.events.append(events[1:2])
    assert not part.appended and part.positions == first.positions[1:2]
    assert await database.events.read_stream(events[0].stream_id) == events
    assert await database.events.last_position() == 3
    assert len(await database.events.read_from(0, 100)) == 3


async def test_retry_after_the_stream_moved_on_is_still_a_no_op(database: Database) -> None:
    # The retry of an append that did succeed must not be mistaken for a stale writer, even
    # when other events were appended in between.
    report_id = uuid4()
    submitted = make_submitted(report_id)
    original = await database.events.append([submitted])
    await database.events.append([make_approved(report_id, stream_version=2)])
    retry = await database.events.append([submitted])
    assert not retry.appended and retry.positions == original.positions


async def test_batch_with_a_taken_version_leaves_nothing(database: Database) -> None:
    report_id = uuid4()
    await database.events.append([make_submitted(report_id)])
    # versions 1..3: version 1 is taken, 2 and 3 are free, yet none of them may be stored
    batch = [
        make_rejected(report_id, stream_version=1),
        make_approved(report_id, stream_version=2),
        make_approved(report_id, stream_version=3),
    ]
    with pytest.raises(ConcurrencyConflict):
        await database.events.append(batch)
    stored = await database.events.read_stream(batch[0].stream_id)
    assert [e.stream_version for e in stored] == [1]
    assert all(e.event_id not in {b.event_id for b in batch} for e in stored)
    assert await database.events.last_position() == 1


async def test_batch_mixing_a_stored_event_with_new_ones_leaves_nothing(
    database: Database,
) -> None:
    report_id = uuid4()
    stored = make_submitted(report_id)
    await database.events.append([stored])
    # The already-stored event, followed by a new one: neither a retry nor a valid append.
    mixed = [stored, make_approved(report_id, stream_version=2)]
    with pytest.raises(ConcurrencyConflict):
        await database.events.append(mixed)
    assert await database.events.read_stream(stored.stream_id) == [stored]
    assert await database.events.last_position() == 1


async def test_invalid_batches_are_refused(database: Database) -> None:
    report_id = uuid4()
    first = make_submitted(report_id)
    with pytest.raises(ValueError, match="nothing to append"):
        await database.events.append([])
    with pytest.raises(ValueError, match="consecutive"):
        await database.events.append([first, make_approved(report_id, stream_version=3)])
    with pytest.raises(ValueError, match="one stream"):
        await database.events.append([first, make_approved(uuid4(), stream_version=2)])
    with pytest.raises(ValueError, match="same event_id"):
        await database.events.append(
            [
                first,
                make_approved(report_id, stream_version=2).model_copy(
                    update={"event_id": first.event_id}
                ),
            ]
        )
    assert await database.events.last_position() == 0


async def test_global_position_orders_all_streams(database: Database) -> None:
    a, b, c = make_stream(3), make_stream(2), make_stream(4)
    appended: list[Envelope] = []
    returned: list[int] = []
    # interleave appends across three streams
    for batch in ([a[0]], [b[0]], a[1:3], [c[0]], [b[1]], c[1:]):
        result = await database.events.append(batch)
        assert len(result.positions) == len(batch)
        returned += result.positions
        appended.extend(batch)
    assert returned == sorted(returned) and len(set(returned)) == len(returned)
    records = await database.events.read_from(0, 1000)
    assert [r.event_id for r in records] == [e.event_id for e in appended]
    positions = [r.position for r in records]
    assert positions == returned
    assert await database.events.last_position() == positions[-1]
    for record, envelope in zip(records, appended, strict=True):
        assert record.stream_id == envelope.stream_id
        assert record.stream_version == envelope.stream_version
        assert record.routing_key == envelope.routing_key
        assert record.body == envelope.to_json()
        assert record.envelope == envelope


async def test_read_from_pages(database: Database) -> None:
    events = make_stream(10)
    await database.events.append(events[:4])
    await database.events.append(events[4:])
    everything = await database.events.read_from(0, 100)
    positions = [r.position for r in everything]
    assert len(positions) == 10

    pages = []
    after = 0
    while page := await database.events.read_from(after, 3):
        assert len(page) <= 3
        pages.append(page)
        after = page[-1].position
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert [r.position for p in pages for r in p] == positions

    assert [r.position for r in await database.events.read_from(positions[4], 2)] == positions[5:7]
    assert await database.events.read_from(positions[-1], 10) == []
    assert await database.events.read_from(positions[-1] + 100, 10) == []


async def test_events_of_other_services_complete_the_stream_but_are_not_published(
    database: Database,
) -> None:
    # Another service wrote v1 and v3 (and published them); this service wrote v2.
    theirs_first, ours, theirs_later = make_stream(3)
    await database.events.append([theirs_first], publish=False)
    await database.events.append([ours])
    stale = ours.model_copy(update={"event_id": uuid4()})
    with pytest.raises(ConcurrencyConflict):  # recorded events count for concurrency too
        await database.events.append([stale])
    await database.events.append([theirs_later], publish=False)

    stream = await database.events.read_stream(ours.stream_id)
    assert stream == [theirs_first, ours, theirs_later]
    everything = await database.events.read_from(0, 10)
    assert [r.event_id for r in everything] == [e.event_id for e in stream]
    own = await database.events.read_from(0, 10, publishable_only=True)
    assert [r.event_id for r in own] == [ours.event_id]
    assert await database.events.read_from(own[0].position, 10, publishable_only=True) == []
    # The relay's lag counts only what is to be published.
    assert await database.events.count_publishable_after(0) == 1
    assert await database.events.count_publishable_after(own[0].position) == 0


async def test_empty_store(database: Database) -> None:
    assert await database.events.last_position() == 0
    assert await database.events.read_from(0, 10) == []
    assert await database.events.load_checkpoint("relay") == 0


async def test_checkpoints(database: Database) -> None:
    assert await database.events.load_checkpoint("relay") == 0
    await database.events.save_checkpoint("relay", 7)
    await database.events.save_checkpoint("other", 3)
    assert await database.events.load_checkpoint("relay") == 7
    await database.events.save_checkpoint("relay", 12)
    assert await database.events.load_checkpoint("relay") == 12
    assert await database.events.load_checkpoint("other") == 3


@pytest.mark.durable
async def test_data_survives_reopening(database_factory: DatabaseFactory) -> None:
    first = await database_factory()
    events = make_stream(3)
    await first.events.append(events)
    await first.events.save_checkpoint("relay", 2)
    await first.views.apply_once(events[0].event_id, _count_into("totals", "all"))
    await first.close()
    second = await database_factory()
    assert await second.events.read_stream(events[0].stream_id) == events
    assert await second.events.load_checkpoint("relay") == 2
    assert await second.views.is_applied(events[0].event_id)
    assert await second.views.get("totals", "all") == {"n": 1}


async def test_ping(database: Database) -> None:
    await database.ping()


# ---------------------------------------------------------------- concurrency


async def test_concurrent_writers_on_one_stream(database: Database) -> None:
    report_id = uuid4()
    contenders = [make_submitted(report_id) for _ in range(8)]
    results = await asyncio.gather(
        *(database.events.append([e]) for e in contenders), return_exceptions=True
    )
    winners = [c for c, r in zip(contenders, results, strict=True) if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, ConcurrencyConflict) for r in losers), losers
    assert await database.events.read_stream(contenders[0].stream_id) == winners
    assert await database.events.last_position() == 1


async def test_concurrent_appends_each_get_their_own_outcome(database: Database) -> None:
    # Backends may commit concurrent appends together (SQLite does): one caller's conflict or
    # retry must not change what any other caller gets.
    stored = make_submitted()
    await database.events.append([stored])
    fresh = [make_submitted() for _ in range(5)]
    stale = make_submitted(stored.data.report_id)  # type: ignore[attr-defined]
    twice = make_submitted()
    results = await asyncio.gather(
        database.events.append([fresh[0]]),
        database.events.append([stale]),
        database.events.append([fresh[1]]),
        database.events.append([stored]),  # a retry: a no-op
        database.events.append([twice]),
        database.events.append([twice]),  # the same event in the same moment: one append
        *(database.events.append([e]) for e in fresh[2:]),
        return_exceptions=True,
    )
    assert isinstance(results[1], ConcurrencyConflict)
    assert results[3] == AppendResult(positions=[1], appended=False)  # type: ignore[comparison-overlap]
    assert sorted([results[4].appended, results[5].appended]) == [False, True]  # type: ignore[union-attr]
    assert results[4].positions == results[5].positions  # type: ignore[union-attr]
    for event, result in zip(fresh, [results[0], results[2], *results[6:]], strict=True):
        assert not isinstance(result, BaseException), result
        assert result.appended
        assert await database.events.read_stream(event.stream_id) == [event]
    assert await database.events.last_position() == 1 + len(fresh) + 1
    assert await database.events.read_stream(stored.stream_id) == [stored]


async def test_an_append_whose_caller_went_away_is_still_stored_once(database: Database) -> None:
    events = [make_submitted() for _ in range(4)]
    tasks = [asyncio.create_task(database.events.append([e])) for e in events]
    await asyncio.sleep(0)  # every append has started
    tasks[0].cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, AppendResult) for o in outcomes[1:]), outcomes
    # Cancelling the wait does not undo a write already on its way: a retry finds it stored.
    retry = await database.events.append([events[0]])
    stored = [r.event_id for r in await database.events.read_from(0, 10)]
    assert sorted(stored) == sorted(e.event_id for e in events)
    assert retry.positions[0] in range(1, 5)


async def test_concurrent_writers_through_separate_handles(
    database_factory: DatabaseFactory,
) -> None:
    # Two handles = two processes' connections on one store (for SQLite: one file).
    handles = [await database_factory() for _ in range(3)]
    report_id = uuid4()
    rounds = 5
    for version in range(1, rounds + 1):
        build = make_submitted if version == 1 else make_approved
        contenders = [
            build(report_id, stream_version=version)  # type: ignore[operator]
            for _ in range(2 * len(handles))
        ]
        results = await asyncio.gather(
            *(
                handles[i % len(handles)].events.append([event])
                for i, event in enumerate(contenders)
            ),
            return_exceptions=True,
        )
        ok = [r for r in results if not isinstance(r, BaseException)]
        conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
        assert len(ok) == 1 and len(conflicts) == len(contenders) - 1, results
    stream = await handles[-1].events.read_stream(f"report-{report_id}")
    assert [e.stream_version for e in stream] == list(range(1, rounds + 1))
    records = await handles[0].events.read_from(0, 100)
    assert [r.stream_version for r in records] == list(range(1, rounds + 1))


async def test_concurrent_appends_to_many_streams_get_distinct_ordered_positions(
    database_factory: DatabaseFactory,
) -> None:
    handles = [await database_factory() for _ in range(2)]
    streams = [make_stream(5) for _ in range(6)]

    async def write(i: int, events: list[Envelope]) -> None:
        for event in events:
            await handles[i % 2].events.append([event])

    await asyncio.gather(*(write(i, s) for i, s in enumerate(streams)))
    records = await handles[0].events.read_from(0, 1000)
    assert len(records) == 30
    assert [r.position for r in records] == sorted({r.position for r in records})
    for events in streams:
        mine = [r.stream_version for r in records if r.stream_id == events[0].stream_id]
        assert mine == [1, 2, 3, 4, 5]  # the global order respects each stream's order


# ---------------------------------------------------------------- views


def _count_into(collection: str, key: str, amount: int = 1):  # type: ignore[no-untyped-def]
    async def effect(tx: ViewTransaction) -> None:
        await tx.increment(collection, key, {"n": amount})

    return effect


async def test_apply_once_applies_once(database: Database) -> None:
    event_id = uuid4()
    assert not await database.views.is_applied(event_id)
    assert await database.views.apply_once(event_id, _count_into("totals", "kelurahan"))
    assert await database.views.is_applied(event_id)
    assert await database.views.get("totals", "kelurahan") == {"n": 1}

    ran = []

    async def effect(tx: ViewTransaction) -> None:
        ran.append(True)
        await tx.increment("totals", "kelurahan", {"n": 1})

    assert not await database.views.apply_once(event_id, effect)
    assert ran == []
    assert await database.views.get("totals", "kelurahan") == {"n": 1}
    assert await database.views.applied_count() == 1


async def test_apply_each_once_runs_the_new_events_of_a_batch_once(database: Database) -> None:
    before, first, second = uuid4(), uuid4(), uuid4()
    await database.views.apply_once(before, _count_into("totals", "a"))
    seen: list[frozenset[UUID]] = []

    async def effect(tx: ViewTransaction, new: frozenset[UUID]) -> None:
        seen.append(new)
        await tx.increment("totals", "a", {"n": len(new)})

    # a duplicate inside the batch, and one applied before it: two new events
    assert await database.views.apply_each_once([before, first, second, first], effect) == 2
    assert seen == [frozenset({first, second})]
    assert await database.views.get("totals", "a") == {"n": 3}
    assert await database.views.is_applied(first) and await database.views.is_applied(second)
    assert await database.views.applied_count() == 3
    # all seen before: the effect does not run
    assert await database.views.apply_each_once([second, before], effect) == 0
    assert len(seen) == 1


async def test_a_failing_batch_effect_keeps_nothing(database: Database) -> None:
    event_ids = [uuid4(), uuid4()]

    async def effect(tx: ViewTransaction, new: frozenset[UUID]) -> None:
        await tx.put("reports", "r1", {"status": "submitted"})
        raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError, match="handler bug"):
        await database.views.apply_each_once(event_ids, effect)
    assert await database.views.get("reports", "r1") is None
    assert not await database.views.is_applied(event_ids[0])
    assert await database.views.applied_count() == 0


async def test_failing_effect_keeps_nothing(database: Database) -> None:
    event_id = uuid4()
    await database.views.apply_once(uuid4(), _count_into("totals", "a"))

    async def effect(tx: ViewTransaction) -> None:
        await tx.increment("totals", "a", {"n": 10})
        await tx.put("reports", "r1", {"status": "submitted"})
        await tx.delete("totals", "a")
        raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError, match="handler bug"):
        await database.views.apply_once(event_id, effect)
    assert not await database.views.is_applied(event_id)
    assert await database.views.get("totals", "a") == {"n": 1}
    assert await database.views.get("reports", "r1") is None
    assert await database.views.applied_count() == 1

    # and the event can then be applied for real
    assert await database.views.apply_once(event_id, _count_into("totals", "a"))
    assert await database.views.get("totals", "a") == {"n": 2}


async def test_cancelled_effect_keeps_nothing_and_the_store_stays_usable(
    database: Database,
) -> None:
    event_id = uuid4()
    started = asyncio.Event()

    async def slow(tx: ViewTransaction) -> None:
        await tx.put("reports", "r1", {"status": "half-done"})
        started.set()
        await asyncio.sleep(30)

    task = asyncio.create_task(database.views.apply_once(event_id, slow))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await database.views.is_applied(event_id)
    assert await database.views.get("reports", "r1") is None
    # neither the views nor the event store is left locked
    assert await database.views.apply_once(event_id, _count_into("totals", "a"))
    await database.events.append([make_submitted()])


async def test_view_reads_inside_the_transaction_see_its_writes(database: Database) -> None:
    seen = {}

    async def effect(tx: ViewTransaction) -> None:
        assert await tx.get("reports", "r1") is None
        await tx.put("reports", "r1", {"status": "submitted", "tier": "kelurahan"})
        seen["after_put"] = await tx.get("reports", "r1")
        await tx.increment("reports", "r1", {"approvals": 1})
        seen["after_increment"] = await tx.get("reports", "r1")

    await database.views.apply_once(uuid4(), effect)
    assert seen["after_put"] == {"status": "submitted", "tier": "kelurahan"}
    assert seen["after_increment"] == {"status": "submitted", "tier": "kelurahan", "approvals": 1}
    assert await database.views.get("reports", "r1") == seen["after_increment"]


async def test_view_document_operations(database: Database) -> None:
    async def effect(tx: ViewTransaction) -> None:
        await tx.put("reports", "r2", {"status": "verified", "kelurahan": "16.73.02.1019"})
        await tx.put("reports", "r1", {"status": "submitted", "kelurahan": "16.73.02.1019"})
        await tx.put("reports", "r3", {"status": "submitted", "kelurahan": "16.73.02.1001"})
        await tx.put("other", "r1", {"status": "submitted"})
        await tx.increment("totals", "16.73.02.1019", {"reports": 2, "photos": 1.5})
        await tx.increment("totals", "16.73.02.1019", {"reports": 1, "verified": 1})

    assert await database.views.apply_once(uuid4(), effect)
    views = database.views
    assert await views.get("reports", "r1") == {"status": "submitted", "kelurahan": "16.73.02.1019"}
    assert await views.get("reports", "missing") is None
    assert await views.get("totals", "16.73.02.1019") == {
        "reports": 3,
        "photos": 1.5,
        "verified": 1,
    }

    # find: equality on top-level fields, ordered by key
    found = await views.find("reports")
    assert [d["status"] for d in found] == ["submitted", "verified", "submitted"]  # r1, r2, r3
    assert await views.find("reports", {"status": "submitted"}) == [
        {"status": "submitted", "kelurahan": "16.73.02.1019"},
        {"status": "submitted", "kelurahan": "16.73.02.1001"},
    ]
    assert await views.find("reports", {"status": "submitted", "kelurahan": "16.73.02.1001"}) == [
        {"status": "submitted", "kelurahan": "16.73.02.1001"}
    ]
    assert await views.find("reports", {"status": "rejected"}) == []
    assert len(await views.find("reports", limit=2)) == 2
    assert await views.find("nothing-here") == []

    assert await views.count("reports") == 3
    assert await views.count("reports", {"status": "submitted"}) == 2
    assert await views.count("other") == 1
    assert await views.count("nothing-here") == 0

    async def replace_and_delete(tx: ViewTransaction) -> None:
        await tx.put("reports", "r1", {"status": "approved"})  # put replaces the document
        await tx.delete("reports", "r3")
        await tx.delete("reports", "never-there")

    assert await views.apply_once(uuid4(), replace_and_delete)
    assert await views.get("reports", "r1") == {"status": "approved"}
    assert await views.get("reports", "r3") is None
    assert await views.count("reports") == 2


async def test_bulk_get_and_put_inside_a_transaction(database: Database) -> None:
    seen = {}

    async def first(tx: ViewTransaction) -> None:
        assert await tx.get_many("reports", []) == {}
        await tx.put_many("reports", {})  # nothing to write is fine
        await tx.put("reports", "r1", {"status": "submitted"})
        await tx.put_many(
            "reports",
            {"r2": {"status": "verified", "n": 2}, "r1": {"status": "approved", "n": 1}},
        )
        await tx.put_many("other", {"r1": {"status": "elsewhere"}})
        # reads see the transaction's own writes; missing keys are absent, duplicates once
        seen["inside"] = await tx.get_many("reports", ["r1", "missing", "r2", "r1"])

    assert await database.views.apply_once(uuid4(), first)
    assert seen["inside"] == {
        "r1": {"status": "approved", "n": 1},
        "r2": {"status": "verified", "n": 2},
    }
    assert await database.views.get("reports", "r1") == {"status": "approved", "n": 1}
    assert await database.views.get("other", "r1") == {"status": "elsewhere"}

    # many keys at once (beyond any one-query parameter limit), and put_many replaces
    many = {f"k{i:05d}": {"i": i} for i in range(1500)}

    async def second(tx: ViewTransaction) -> None:
        await tx.put_many("bulk", many)
        await tx.put_many("reports", {"r2": {"status": "replaced"}})
        seen["bulk"] = await tx.get_many("bulk", list(many))

    assert await database.views.apply_once(uuid4(), second)
    assert seen["bulk"] == many
    assert await database.views.count("bulk") == 1500
    assert await database.views.get("reports", "r2") == {"status": "replaced"}

    async def failing(tx: ViewTransaction) -> None:
        await tx.put_many("reports", {"r3": {"status": "never"}})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await database.views.apply_once(uuid4(), failing)
    assert await database.views.get("reports", "r3") is None


async def test_find_by_numeric_and_boolean_fields(database: Database) -> None:
    async def effect(tx: ViewTransaction) -> None:
        await tx.put("reports", "a", {"counts": True, "tier_index": 2})
        await tx.put("reports", "b", {"counts": False, "tier_index": 1})

    await database.views.apply_once(uuid4(), effect)
    assert await database.views.find("reports", {"counts": True}) == [
        {"counts": True, "tier_index": 2}
    ]
    assert await database.views.count("reports", {"tier_index": 1}) == 1


async def test_reset_drops_views_and_applied_records(database: Database) -> None:
    ids = [uuid4() for _ in range(3)]
    for event_id in ids:
        await database.views.apply_once(event_id, _count_into("totals", "all"))
    assert await database.views.applied_count() == 3
    await database.events.append([make_submitted()])

    await database.views.reset()
    assert await database.views.applied_count() == 0
    assert await database.views.get("totals", "all") is None
    assert await database.views.count("totals") == 0
    assert not await database.views.is_applied(ids[0])
    # the event store is not part of the views
    assert await database.events.last_position() == 1
    # a replay after the reset applies again
    assert await database.views.apply_once(ids[0], _count_into("totals", "all"))
    assert await database.views.get("totals", "all") == {"n": 1}


async def test_concurrent_apply_once_of_one_event(database: Database) -> None:
    event_id = uuid4()
    results = await asyncio.gather(
        *(database.views.apply_once(event_id, _count_into("totals", "x")) for _ in range(6))
    )
    assert sorted(results) == [False] * 5 + [True]
    assert await database.views.get("totals", "x") == {"n": 1}


async def test_concurrent_apply_once_through_separate_handles(
    database_factory: DatabaseFactory,
) -> None:
    handles = [await database_factory() for _ in range(2)]
    event_ids = [uuid4() for _ in range(10)]
    results = await asyncio.gather(
        *(
            handle.views.apply_once(event_id, _count_into("totals", "x"))
            for event_id in event_ids
            for handle in handles
        )
    )
    assert sum(results) == len(event_ids)
    assert await handles[0].views.get("totals", "x") == {"n": len(event_ids)}
    assert await handles[1].views.applied_count() == len(event_ids)


async def test_appends_proceed_while_a_view_transaction_is_open(database: Database) -> None:
    # A service may produce events while one of its handlers is inside apply_once.
    inside = asyncio.Event()
    release = asyncio.Event()

    async def effect(tx: ViewTransaction) -> None:
        await tx.put("reports", "r1", {"status": "x"})
        inside.set()
        await release.wait()

    applying = asyncio.create_task(database.views.apply_once(uuid4(), effect))
    await inside.wait()
    append = asyncio.create_task(database.events.append([make_submitted()]))
    await asyncio.sleep(0.2)
    release.set()
    assert await asyncio.wait_for(applying, 15)
    result = await asyncio.wait_for(append, 15)
    assert result.appended
    assert await database.views.get("reports", "r1") == {"status": "x"}


@pytest.mark.parametrize("steps_before_cancel", range(6))
async def test_apply_once_cancelled_at_any_step_leaves_the_store_usable(
    database: Database, steps_before_cancel: int
) -> None:
    # A consumer whose connection drops is cancelled wherever its handler is: BEGIN, a read, the
    # effect, COMMIT. Whatever step that was, no transaction may be left open behind it.
    event_id = uuid4()
    task = asyncio.create_task(database.views.apply_once(event_id, _count_into("totals", "c")))
    for _ in range(steps_before_cancel):
        await asyncio.sleep(0)
    task.cancel()
    outcome = (await asyncio.gather(task, return_exceptions=True))[0]
    applied = outcome is True
    assert outcome is True or isinstance(outcome, asyncio.CancelledError), outcome
    assert await database.views.is_applied(event_id) == (
        await database.views.get("totals", "c") == {"n": 1}
    )
    # the store is not left locked: both halves still write, promptly
    other = uuid4()
    assert await asyncio.wait_for(
        database.views.apply_once(other, _count_into("totals", "d")), timeout=5
    )
    await asyncio.wait_for(database.events.append([make_submitted()]), timeout=5)
    if not applied:
        assert await asyncio.wait_for(
            database.views.apply_once(event_id, _count_into("totals", "c")), timeout=5
        ) or await database.views.is_applied(event_id)


async def test_documents_round_trip_json_values(database: Database) -> None:
    doc = {
        "title": "Perbaikan jalan — RT 007",
        "count": 3,
        "ratio": 0.25,
        "counts": True,
        "note": None,
        "tiers": ["kelurahan", "kecamatan"],
        "wilayah": {"kelurahan": "16.73.02.1019", "rt": "007"},
        "history": [{"tier": "kelurahan", "ok": True}],
    }

    async def effect(tx: ViewTransaction) -> None:
        await tx.put("reports", "r1", doc)

    await database.views.apply_once(uuid4(), effect)
    assert await database.views.get("reports", "r1") == doc
    assert await database.views.find("reports", {"count": 3}) == [doc]
    assert await database.views.find("reports", {"title": "Perbaikan jalan — RT 007"}) == [doc]


async def test_a_lease_has_one_holder_until_it_expires(database: Database) -> None:
    events = database.events
    assert await events.hold_lease("relay", "replica-a", ttl=30)
    assert await events.hold_lease("relay", "replica-a", ttl=30)  # renewing is fine
    assert not await events.hold_lease("relay", "replica-b", ttl=30)
    assert await events.hold_lease("other", "replica-b", ttl=30)  # leases are per name

    assert await events.hold_lease("short", "replica-a", ttl=0.2)
    await asyncio.sleep(0.3)
    assert await events.hold_lease("short", "replica-b", ttl=30)  # expired: taken over
    assert not await events.hold_lease("short", "replica-a", ttl=30)


async def test_concurrent_lease_takers_get_one_winner(database_factory: DatabaseFactory) -> None:
    handles = [await database_factory() for _ in range(2)]
    takers = [(f"replica-{i}", handle) for i, handle in enumerate(handles * 3)]
    results = await asyncio.gather(
        *(handle.events.hold_lease("relay", holder, ttl=30) for holder, handle in takers)
    )
    assert results.count(True) == 1


# ---------------------------------------------------------------- effects run again
# MongoDB's with_transaction runs an effect again after a TransientTransactionError; the
# contract says an effect may run more than once. `RerunEffects` does it on every backend.


async def _rerun_leaves(database: Database, abort_at: int | None) -> list[Document]:
    views = RerunEffects(database.views, abort_at=abort_at)

    async def effect(tx: ViewTransaction) -> None:
        await tx.increment("totals", "kelurahan", {"n": 1})
        report = await tx.get("reports", "r1") or {"versions": []}
        await tx.put("reports", "r1", {"versions": [*report["versions"], len(report["versions"])]})
        await tx.delete("reports", "gone")

    await database.views.apply_once(uuid4(), _put_into("reports", "gone"))
    for _ in range(2):
        assert await views.apply_once(uuid4(), effect)
    assert views.reruns.rehearsed == 2  # each effect did run twice
    return await database.views.find("totals") + await database.views.find("reports")


def _put_into(collection: str, key: str):  # type: ignore[no-untyped-def]
    async def effect(tx: ViewTransaction) -> None:
        await tx.put(collection, key, {"key": key})

    return effect


@pytest.mark.parametrize("abort_at", [None, 1, 2, 3])
async def test_an_effect_run_again_leaves_what_one_run_leaves(
    database: Database, abort_at: int | None
) -> None:
    """Aborted after the effect (a commit that failed) or at its n-th call (a write conflict):
    nothing of the first run is kept."""
    assert await _rerun_leaves(database, abort_at) == [
        {"n": 2},
        {"versions": [0, 1]},
    ]
    assert await database.views.applied_count() == 3


async def test_the_caller_gets_the_value_of_the_run_that_committed(
    database_factory: DatabaseFactory,
) -> None:
    """Another replica applies the event between the aborted run and the next: the effect's
    value from the aborted run never reaches the caller (a claim taken twice, a push sent
    twice)."""
    here, there = await database_factory(), await database_factory()
    await here.views.apply_once(uuid4(), _put_into("outbox", "d1"))
    event_id = uuid4()

    async def take(tx: ViewTransaction) -> Document | None:
        entry = await tx.get("outbox", "d1")
        if entry is not None:
            await tx.delete("outbox", "d1")
        return entry

    async def other_replica_takes_it() -> None:
        assert await apply_once_returning(there.views, event_id, take) == {"key": "d1"}

    views = RerunEffects(here.views, between=other_replica_takes_it)
    assert await apply_once_returning(views, event_id, take) is None
    assert views.reruns.rehearsed == 1
    # a run that commits hands its value over; an event applied before hands none
    assert await apply_once_returning(here.views, uuid4(), take) is None
    assert await apply_once_returning(RerunEffects(here.views), event_id, take) is None


async def test_a_batch_effect_run_again_gets_the_ids_still_new(
    database_factory: DatabaseFactory,
) -> None:
    here, there = await database_factory(), await database_factory()
    first, second = uuid4(), uuid4()

    async def count(tx: ViewTransaction, new: frozenset[UUID]) -> frozenset[UUID]:
        await tx.increment("totals", "a", {"n": len(new)})
        return new

    async def other_replica_applies_the_first() -> None:
        assert await apply_each_once_returning(there.views, [first], count) == {first}

    views = RerunEffects(here.views, between=other_replica_applies_the_first)
    assert await apply_each_once_returning(views, [first, second], count) == {second}
    assert await here.views.get("totals", "a") == {"n": 2}
    assert await apply_each_once_returning(views, [first, second], count) is None
    assert views.reruns.rehearsed == 1


# ---------------------------------------------------------------- set-aside events


def _set_aside(reader: str, key: str, reason: str, at: datetime, **more: Any) -> SetAsideEvent:
    return SetAsideEvent(
        reader=reader,
        key=key,
        body=b'{"amount_rupiah": 1e30}',
        reason=reason,
        set_aside_at=at,
        **more,
    )


async def test_set_aside_events_are_kept_per_reader_counted_and_released(
    database: Database,
) -> None:
    views = database.views
    assert await views.set_aside_events() == []
    assert await views.set_aside_counts() == {}
    first = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    event_id = str(uuid4())
    await views.set_aside(
        _set_aside(
            "analytics.rebuild",
            event_id,
            "OverflowError: too big",
            first,
            routing_key="report.submitted",
            stream_id="report-1",
        )
    )
    await views.set_aside(_set_aside("analytics.consumer", event_id, "TypeError: x", first))
    await views.set_aside(
        _set_aside("analytics.rebuild", "sha256:ab", "ValidationError: no", first + timedelta(1))
    )

    kept = await views.set_aside_events("analytics.rebuild")
    assert [(e.key, e.reason, e.failures) for e in kept] == [
        (event_id, "OverflowError: too big", 1),
        ("sha256:ab", "ValidationError: no", 1),
    ]
    assert kept[0].body == b'{"amount_rupiah": 1e30}'
    assert kept[0].routing_key == "report.submitted" and kept[0].stream_id == "report-1"
    assert kept[0].set_aside_at == first
    assert await views.set_aside_counts() == {"analytics.rebuild": 2, "analytics.consumer": 1}
    assert len(await views.set_aside_events()) == 3
    assert len(await views.set_aside_events(limit=1)) == 1

    # Set aside again (a retry that failed): one entry, the new reason and time, counted.
    again = first + timedelta(days=2)
    await views.set_aside(_set_aside("analytics.rebuild", event_id, "KeyError: 'x'", again))
    entry = next(e for e in await views.set_aside_events("analytics.rebuild") if e.key == event_id)
    assert (entry.reason, entry.failures, entry.set_aside_at) == ("KeyError: 'x'", 2, again)

    # A reset of the views keeps them: they are what the readers could not apply.
    await views.reset()
    assert await views.set_aside_counts() == {"analytics.rebuild": 2, "analytics.consumer": 1}

    assert await views.release("analytics.rebuild", event_id) == 1
    assert await views.release("analytics.rebuild", event_id) == 0
    assert await views.set_aside_counts() == {"analytics.rebuild": 1, "analytics.consumer": 1}
    assert await views.release("analytics.rebuild") == 1
    assert await views.set_aside_counts() == {"analytics.consumer": 1}


@pytest.mark.durable
async def test_set_aside_events_survive_reopening(database_factory: DatabaseFactory) -> None:
    database = await database_factory()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    await database.views.set_aside(_set_aside("verification.views", "k", "E: e", at))
    reopened = await database_factory()
    assert [e.key for e in await reopened.views.set_aside_events()] == ["k"]


# ---------------------------------------------------------------- issue 20: what it did not state
# The relay's checkpoint, integer bounds, `find`'s filters, a restartable reset and the errors
# a caller may get: each backend must answer alike (MongoDB's cases run on a replica set).


async def test_the_relay_checkpoint_moves_forward_and_only_for_the_lease_holder(
    database: Database,
) -> None:
    events = database.events
    # No lease yet: nobody may move it.
    assert not await events.advance_checkpoint("relay", 5, holder="replica-a")
    assert await events.load_checkpoint("relay") == 0
    assert await events.hold_lease("relay", "replica-a", ttl=30)
    assert await events.advance_checkpoint("relay", 10, holder="replica-a")
    assert await events.load_checkpoint("relay") == 10
    # Forward only: a late or repeated save of an older position leaves it where it is.
    assert await events.advance_checkpoint("relay", 4, holder="replica-a")
    assert await events.load_checkpoint("relay") == 10
    # Another replica, whose lease this is not, changes nothing.
    assert not await events.advance_checkpoint("relay", 50, holder="replica-b")
    assert await events.load_checkpoint("relay") == 10
    # `save_checkpoint` still sets any position: a rebuild starts its own catch-up over.
    await events.save_checkpoint("relay", 0)
    assert await events.load_checkpoint("relay") == 0


async def test_an_expired_lease_moves_no_checkpoint(database: Database) -> None:
    events = database.events
    assert await events.hold_lease("relay", "replica-a", ttl=0.2)
    assert await events.advance_checkpoint("relay", 3, holder="replica-a")
    await asyncio.sleep(0.3)
    # A relay paused past its lease: another may have taken over, so it may not move it.
    assert not await events.advance_checkpoint("relay", 9, holder="replica-a")
    assert await events.hold_lease("relay", "replica-b", ttl=30)
    assert await events.advance_checkpoint("relay", 7, holder="replica-b")
    assert not await events.advance_checkpoint("relay", 9, holder="replica-a")
    assert await events.load_checkpoint("relay") == 7


@pytest.mark.parametrize(
    "doc",
    [
        {"n": INT_MAX + 1},
        {"n": INT_MIN - 1},
        {"nested": {"deep": [1, 2, 2**64]}},
        {"digits": "9" * 30, "n": 10**20},
    ],
)
async def test_integers_beyond_64_bits_are_refused_and_nothing_is_kept(
    database: Database, doc: dict[str, Any]
) -> None:
    event_id = uuid4()

    async def put(tx: ViewTransaction) -> None:
        await tx.put("reports", "ok", {"n": 1})
        await tx.put("reports", "big", doc)

    with pytest.raises(UnstorableValue) as caught:
        await database.views.apply_once(event_id, put)
    # A ValueError and an event fault: a reader sets the event aside rather than retry.
    assert isinstance(caught.value, ValueError) and is_event_fault(caught.value)
    assert not await database.views.is_applied(event_id)
    assert await database.views.get("reports", "ok") is None

    async def put_many(tx: ViewTransaction) -> None:
        await tx.put_many("reports", {"ok": {"n": 1}, "big": doc})

    with pytest.raises(UnstorableValue):
        await database.views.apply_once(event_id, put_many)
    assert await database.views.count("reports") == 0


async def test_integers_at_the_64_bit_bounds_are_held(database: Database) -> None:
    doc = {"most": INT_MAX, "least": INT_MIN, "digits": "9" * 30, "list": [INT_MAX]}

    async def put(tx: ViewTransaction) -> None:
        await tx.put("reports", "r1", doc)

    await database.views.apply_once(uuid4(), put)
    assert await database.views.get("reports", "r1") == doc
    assert await database.views.find("reports", {"most": INT_MAX}) == [doc]
    # No document can hold a value beyond the bounds, so none matches it.
    assert await database.views.find("reports", {"most": INT_MAX + 1}) == []
    assert await database.views.count("reports", {"least": INT_MIN - 1}) == 0


async def test_an_increment_past_64_bits_is_refused_and_keeps_nothing(database: Database) -> None:
    async def start(tx: ViewTransaction) -> None:
        await tx.put("totals", "all", {"n": INT_MAX - 1})

    await database.views.apply_once(uuid4(), start)
    assert await database.views.apply_once(uuid4(), _count_into("totals", "all"))
    assert await database.views.get("totals", "all") == {"n": INT_MAX}
    over = uuid4()
    with pytest.raises(UnstorableValue):
        await database.views.apply_once(over, _count_into("totals", "all"))
    with pytest.raises(UnstorableValue):
        await database.views.apply_once(over, _count_into("totals", "other", INT_MAX + 1))
    assert not await database.views.is_applied(over)
    assert await database.views.get("totals", "all") == {"n": INT_MAX}
    assert await database.views.get("totals", "other") is None


async def test_an_unstorable_append_fails_alone_in_its_group(database: Database) -> None:
    fresh = [make_submitted() for _ in range(3)]
    huge = make_submitted().model_copy(update={"stream_version": INT_MAX + 1})
    results = await asyncio.gather(
        database.events.append([fresh[0]]),
        database.events.append([huge]),
        *(database.events.append([e]) for e in fresh[1:]),
        return_exceptions=True,
    )
    assert isinstance(results[1], UnstorableValue), results
    assert all(isinstance(r, AppendResult) and r.appended for r in results[:1] + results[2:])
    stored = [r.event_id for r in await database.events.read_from(0, 10)]
    assert sorted(stored) == sorted(e.event_id for e in fresh)


async def test_find_matches_as_one_contract_on_every_backend(database: Database) -> None:
    a = {"flag": True, "n": 1, "f": 1.0, "tags": [1, 2], "nested": {"a": 1}, "s": "$x", "z": None}
    b = {"flag": 1, "n": True, "f": 2}

    async def effect(tx: ViewTransaction) -> None:
        await tx.put("docs", "a", a)
        await tx.put("docs", "b", b)

    await database.views.apply_once(uuid4(), effect)
    views = database.views
    # Booleans and numbers are different values (SQLite's JSON gives true as 1).
    assert await views.find("docs", {"flag": True}) == [a]
    assert await views.find("docs", {"flag": 1}) == [b]
    assert await views.find("docs", {"n": 1}) == [a]
    assert await views.count("docs", {"n": True}) == 1
    assert await views.find("docs", {"f": 1}) == [a]  # 1 is 1.0
    # A field is compared whole: an array holding the value, or a document, is not equal to it.
    assert await views.find("docs", {"tags": 1}) == []
    assert await views.find("docs", {"nested": 1}) == []
    assert await views.find("docs", {"s": "$x"}) == [a]  # a value, never a field path
    # None matches nothing, a null field or a missing one alike.
    assert await views.find("docs", {"z": None}) == []
    assert await views.find("docs", {"missing": None}) == []
    assert await views.count("docs", {"z": None}) == 0
    # Names are top-level identifiers: a dotted path is refused, never read as nesting.
    with pytest.raises(ValueError, match="not a field name"):
        await views.find("docs", {"nested.a": 1})
    with pytest.raises(ValueError, match="not a field name"):
        await views.count("docs", {"nested.a": 1})
    with pytest.raises(ValueError):
        await views.find("docs", {"nested": {"a": 1}})
    # limit 0 is an empty page (MongoDB's limit(0) would be every document).
    assert await views.find("docs", limit=0) == []
    assert len(await views.find("docs", limit=1)) == 1
    with pytest.raises(ValueError):
        await views.find("docs", limit=-1)
    assert await database.events.read_from(0, 0) == []


async def test_set_aside_events_with_limit_0_is_an_empty_page(database: Database) -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    await database.views.set_aside(_set_aside("analytics.rebuild", "k", "E: e", at))
    assert await database.views.set_aside_events(limit=0) == []
    assert len(await database.views.set_aside_events(limit=1)) == 1


async def _fill_views(database: Database) -> list[UUID]:
    ids = [uuid4() for _ in range(3)]
    for event_id in ids:
        await database.views.apply_once(event_id, _count_into("totals", "all"))
    return ids


@pytest.mark.durable
async def test_a_reset_interrupted_after_any_step_is_finished_on_reopening(
    database_factory: DatabaseFactory,
) -> None:
    steps = len((await database_factory()).views.reset_steps())
    for done in range(steps + 1):
        database = await database_factory()
        await database.views.reset()
        ids = await _fill_views(database)
        for step in database.views.reset_steps()[:done]:
            await step()
        await database.close()  # a crash between two steps
        reopened = await database_factory()
        applied = [await reopened.views.is_applied(event_id) for event_id in ids]
        total = await reopened.views.get("totals", "all")
        if done == 0:
            assert applied == [True] * 3 and total == {"n": 3}
        else:  # begun: finished before anything reads the views, never half done
            assert applied == [False] * 3 and total is None, done
            assert await reopened.views.applied_count() == 0
        # the views work as before, and a replay applies every event again
        assert await reopened.views.apply_once(ids[0], _count_into("totals", "all")) == (done > 0)


async def test_a_reset_interrupted_after_any_step_is_finished_by_the_next_reset(
    database: Database,
) -> None:
    for done in range(len(database.views.reset_steps()) + 1):
        ids = await _fill_views(database)
        for step in database.views.reset_steps()[:done]:
            await step()
        await database.views.reset()
        assert await database.views.applied_count() == 0
        assert await database.views.count("totals") == 0
        assert await database.views.apply_once(ids[0], _count_into("totals", "all"))
        await database.views.reset()


async def test_a_closed_store_answers_store_unavailable(database: Database) -> None:
    """Only the contract's errors reach a caller: a store that cannot answer says so."""
    await database.events.append([make_submitted()])
    await database.close()
    calls = [
        lambda: database.ping(),
        lambda: database.events.append([make_submitted()]),
        lambda: database.events.read_from(0, 10),
        lambda: database.events.last_position(),
        lambda: database.events.count_publishable_after(0),
        lambda: database.events.load_checkpoint("relay"),
        lambda: database.views.apply_once(uuid4(), _count_into("totals", "all")),
        lambda: database.views.get("totals", "all"),
        lambda: database.views.find("totals"),
        lambda: database.views.count("totals"),
        lambda: database.views.applied_count(),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable):
            await call()
