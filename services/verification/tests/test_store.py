"""Handlers and views against the real event store: recording intake's events, decisions under
optimistic concurrency, the views and their rebuild, and the deadline scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from verification_support import CAMAT, LURAH, MONDAY, PEMKOT

from sipokat.events.catalogue import RejectionReason
from sipokat.events.envelope import Envelope
from sipokat.events.setaside import SetAside
from sipokat.events.store import Database
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import (
    DatabaseFactory,
    RerunEffectsDatabase,
    make_revised,
    make_submitted,
)
from sipokat.verification import handlers, queries
from sipokat.verification.domain import Approve, Command, Decider, Policy, Reject, ReportStatus

POLICY = Policy()
REJECT = Reject(RejectionReason.INCOMPLETE, "Lengkapi daftar hadir")


async def submit(database: Database, report_id: UUID | None = None) -> Envelope:
    submitted = make_submitted(report_id, correlation_id="req-submit")
    submitted = submitted.model_copy(update={"occurred_at": MONDAY})
    await handlers.intake_event_handler(database, POLICY, SetAside(database.views))(submitted)
    return submitted


async def decide(
    database: Database,
    report_id: UUID,
    decider: Decider,
    command: Command,
    *,
    now: object = None,
    append: handlers.Append | None = None,
) -> None:
    await handlers.decide(
        database,
        append or database.events.append,
        POLICY,
        SetAside(database.views),
        report_id,
        decider,
        command,
        correlation_id="req-decide",
        now=MONDAY + timedelta(hours=1),
    )


def report_of(envelope: Envelope) -> UUID:
    return UUID(envelope.stream_id.removeprefix("report-"))


async def test_intake_events_are_recorded_once_and_not_published_again(
    database: Database,
) -> None:
    submitted = await submit(database)
    await handlers.intake_event_handler(database, POLICY, SetAside(database.views))(
        submitted
    )  # redelivered
    stream = await database.events.read_stream(submitted.stream_id)
    assert [e.event_id for e in stream] == [submitted.event_id]
    assert await database.events.read_from(0, 10, publishable_only=True) == []
    doc = await database.views.get(queries.REPORTS, str(report_of(submitted)))
    assert doc is not None and doc["status"] == "awaiting_kelurahan"
    assert await database.views.count(queries.QUEUE, {"scope": "kelurahan:16.73.02.1019"}) == 1


async def test_a_backlog_of_intake_events_in_one_batch_gives_the_same_documents(
    database_factory: DatabaseFactory,
) -> None:
    one_by_one, batched = await database_factory(), await database_factory()
    submitted = [
        make_submitted(correlation_id="req-submit").model_copy(update={"occurred_at": MONDAY})
        for _ in range(5)
    ]
    backlog = [*submitted, submitted[2]]  # one delivered twice
    handle = handlers.intake_event_handler(one_by_one, POLICY, SetAside(one_by_one.views))
    for envelope in backlog:
        await handle(envelope)
    await handlers.intake_events_batch_handler(batched, POLICY)(backlog)

    for database in (one_by_one, batched):
        stream = await database.events.read_stream(submitted[2].stream_id)
        assert [e.event_id for e in stream] == [submitted[2].event_id]
        assert await database.events.read_from(0, 10, publishable_only=True) == []
    assert await batched.views.find(queries.REPORTS, limit=100) == await one_by_one.views.find(
        queries.REPORTS, limit=100
    )
    assert await batched.views.find(queries.QUEUE, limit=100) == await one_by_one.views.find(
        queries.QUEUE, limit=100
    )
    assert await batched.views.count(queries.QUEUE, {"scope": "kelurahan:16.73.02.1019"}) == 5

    # and a revision after a rejection, with its report's earlier events already recorded
    report_id = report_of(submitted[0])
    await decide(batched, report_id, LURAH, REJECT)
    revised = make_revised(report_id, stream_version=3)
    await handlers.intake_events_batch_handler(batched, POLICY)([revised, submitted[1]])
    doc = await batched.views.get(queries.REPORTS, str(report_id))
    assert doc is not None and doc["status"] == "awaiting_kelurahan" and doc["version"] == 3


async def test_three_approvals_are_appended_with_correlation_and_causation(
    database: Database,
) -> None:
    submitted = await submit(database)
    report_id = report_of(submitted)
    for official in (LURAH, CAMAT, PEMKOT):
        await decide(database, report_id, official, Approve())
    stream = await database.events.read_stream(submitted.stream_id)
    assert [e.type for e in stream] == ["ReportSubmitted"] + ["ReportApproved"] * 3 + [
        "ReportVerified"
    ]
    assert [e.stream_version for e in stream] == [1, 2, 3, 4, 5]
    assert all(e.correlation_id == "req-decide" for e in stream[1:])
    # Each decision was caused by the event that put the report before its tier.
    assert [e.causation_id for e in stream[1:]] == [e.event_id for e in stream[:4]]
    published = await database.events.read_from(0, 10, publishable_only=True)
    assert [r.routing_key for r in published] == [
        "report.approved.kelurahan",
        "report.approved.kecamatan",
        "report.approved.kota",
        "report.verified",
    ]
    doc = await database.views.get(queries.REPORTS, str(report_id))
    assert doc is not None
    assert doc["status"] == "verified"
    assert [step["event"] for step in doc["timeline"]] == [e.type for e in stream]
    assert doc["timeline"][1]["verifier"]["subject"] == LURAH.subject
    assert await database.views.count(queries.QUEUE) == 0


async def test_several_verifiers_deciding_at_once_exactly_one_wins(
    database_factory: DatabaseFactory,
) -> None:
    # Separate handles: separate connections, as separate replicas or workers would have.
    handles = [await database_factory() for _ in range(4)]
    lurah_staff = [
        Decider(f"lurah-staff-{n}", LURAH.role, LURAH.wilayah) for n in range(len(handles))
    ]
    outcomes: list[str] = []
    for _ in range(8):
        report_id = report_of(await submit(handles[0]))

        async def attempt(database: Database, decider: Decider, n: int, report_id: UUID) -> str:
            command: Command = Approve() if n % 2 else REJECT
            try:
                await decide(database, report_id, decider, command)
            except handlers.DecisionConflict as exc:
                assert exc.current.version == 2
                return exc.reason
            return "won"

        results = await asyncio.gather(
            *(
                attempt(db, d, n, report_id)
                for n, (db, d) in enumerate(zip(handles, lurah_staff, strict=True))
            )
        )
        assert results.count("won") == 1, results
        stream = await handles[0].events.read_stream(f"report-{report_id}")
        assert len(stream) == 2
        outcomes += results
    assert set(outcomes) <= {"won", "concurrent", "wrong_tier", "closed"}
    # The losers mostly read the same version as the winner: the store's check refused them.
    assert "concurrent" in outcomes


async def test_a_decision_that_loses_the_race_gets_the_current_state(database: Database) -> None:
    report_id = report_of(await submit(database))

    async def slow_append(envelopes: Sequence[Envelope]) -> object:
        # Another decision is recorded while this one is between reading and appending.
        await decide(database, report_id, LURAH, REJECT)
        return await database.events.append(envelopes)

    with pytest.raises(handlers.DecisionConflict) as lost:
        await decide(database, report_id, LURAH, Approve(), append=slow_append)
    assert lost.value.reason == "concurrent"
    assert lost.value.current.status is ReportStatus.AWAITING_REVISION
    assert lost.value.current.version == 2


async def test_views_rebuilt_from_the_event_store_equal_the_live_ones(
    database: Database,
) -> None:
    ids = [report_of(await submit(database)) for _ in range(4)]
    await decide(database, ids[0], LURAH, Approve())
    await decide(database, ids[1], LURAH, REJECT)
    revised = make_revised(ids[1], stream_version=3)
    await handlers.intake_event_handler(database, POLICY, SetAside(database.views))(revised)
    for official in (LURAH, CAMAT, PEMKOT):
        await decide(database, ids[2], official, Approve())

    async def snapshot() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        return (
            await database.views.find(queries.REPORTS, limit=1000),
            await database.views.find(queries.QUEUE, limit=1000),
        )

    live = await snapshot()
    assert await handlers.rebuild(database, POLICY, SetAside(database.views)) == 4
    assert await snapshot() == live
    statuses = {d["report_id"]: d["status"] for d in live[0]}
    assert statuses == {
        str(ids[0]): "awaiting_kecamatan",
        str(ids[1]): "awaiting_kelurahan",
        str(ids[2]): "verified",
        str(ids[3]): "awaiting_kelurahan",
    }


async def test_a_late_redelivery_does_not_move_a_view_back(database: Database) -> None:
    submitted = await submit(database)
    report_id = report_of(submitted)
    await decide(database, report_id, LURAH, Approve())
    await handlers.intake_event_handler(database, POLICY, SetAside(database.views))(submitted)
    await handlers.refresh(database, submitted.stream_id, POLICY)
    doc = await database.views.get(queries.REPORTS, str(report_id))
    assert doc is not None and doc["status"] == "awaiting_kecamatan"
    assert doc["version"] == 2


# ---------------------------------------------------------------- deadlines


async def overdue_events(database: Database, report_id: UUID) -> list[Envelope]:
    stream = await database.events.read_stream(f"report-{report_id}")
    return [e for e in stream if e.type == "VerificationOverdue"]


async def test_a_passed_deadline_is_flagged_once(database: Database) -> None:
    report_id = report_of(await submit(database))
    due = MONDAY.replace(day=5, hour=17)
    flag = handlers.flag_overdue
    assert (
        await flag(
            database,
            database.events.append,
            POLICY,
            SetAside(database.views),
            due - timedelta(seconds=1),
        )
        == 0
    )
    assert await flag(database, database.events.append, POLICY, SetAside(database.views), due) == 1
    assert (
        await flag(
            database,
            database.events.append,
            POLICY,
            SetAside(database.views),
            due + timedelta(days=9),
        )
        == 0
    )
    [notice] = await overdue_events(database, report_id)
    assert notice.routing_key == "report.overdue.kelurahan"
    assert notice.correlation_id == "req-submit"  # the chain the submission started
    entry = (await database.views.find(queries.QUEUE, {"overdue": True}))[0]
    assert entry["report_id"] == str(report_id)


async def test_two_schedulers_on_one_store_flag_a_deadline_once(
    database_factory: DatabaseFactory,
) -> None:
    first, second = await database_factory(), await database_factory()
    ids = [report_of(await submit(first)) for _ in range(5)]
    late = MONDAY + timedelta(days=10)
    counts = await asyncio.gather(
        handlers.flag_overdue(first, first.events.append, POLICY, SetAside(first.views), late),
        handlers.flag_overdue(second, second.events.append, POLICY, SetAside(second.views), late),
    )
    assert sum(counts) == 5
    for report_id in ids:
        assert len(await overdue_events(first, report_id)) == 1


async def test_a_deadline_that_passed_while_down_is_flagged_after_a_restart(
    database_factory: DatabaseFactory,
) -> None:
    before = await database_factory()
    submitted = make_submitted().model_copy(update={"occurred_at": MONDAY})
    # A crash between recording the submission and updating the views: the worklist lacks it.
    await before.events.append([submitted], publish=False)
    await before.close()

    after = await database_factory()
    late = MONDAY + timedelta(days=10)
    assert await handlers.catch_up(after, POLICY, SetAside(after.views)) == 1
    assert (
        await handlers.flag_overdue(after, after.events.append, POLICY, SetAside(after.views), late)
        == 1
    )
    await after.close()

    again = await database_factory()
    await handlers.catch_up(again, POLICY, SetAside(again.views))
    assert (
        await handlers.flag_overdue(again, again.events.append, POLICY, SetAside(again.views), late)
        == 0
    )
    assert len(await overdue_events(again, report_of(submitted))) == 1


async def test_a_long_catch_up_lets_the_event_loop_serve_others(database: Database) -> None:
    # Three batches' worth of submissions the views have not seen (a restart on a big store).
    for _ in range(3 * handlers._CATCH_UP_BATCH):
        await database.events.append([make_submitted()], publish=False)
    turns = 0
    catching_up = asyncio.create_task(handlers.catch_up(database, POLICY, SetAside(database.views)))

    while not catching_up.done():
        turns += 1
        await asyncio.sleep(0)
    assert await catching_up == 3 * handlers._CATCH_UP_BATCH
    assert turns > 3  # this task ran between the three batches, not only before and after


@pytest.mark.parametrize("abort_at", [None, 1, 3])
async def test_every_view_write_run_again_leaves_the_same_documents(
    tmp_path: Path, abort_at: int | None
) -> None:
    """Each refresh's effect runs once more after an aborted run (MongoDB's with_transaction
    may): intake's events one by one and in a backlog, decisions, a catch-up and a rebuild
    leave the documents of running each once."""
    plain = await SqliteDatabase.open(tmp_path / "plain.db")
    rerun = RerunEffectsDatabase(
        await SqliteDatabase.open(tmp_path / "rerun.db"), abort_at=abort_at
    )
    report_ids = [uuid4() for _ in range(4)]
    try:
        for database in (plain, rerun):
            backlog = [
                make_submitted(report_id).model_copy(update={"occurred_at": MONDAY})
                for report_id in report_ids[1:]
            ]
            await submit(database, report_ids[0])
            await handlers.intake_events_batch_handler(database, POLICY)(backlog)
            await decide(database, report_ids[1], LURAH, Approve())
            await decide(database, report_ids[1], CAMAT, Approve())
            await decide(database, report_ids[2], LURAH, REJECT)
            await handlers.catch_up(database, POLICY, SetAside(database.views))
        for collection in (queries.REPORTS, queries.QUEUE):
            assert await rerun.views.find(collection) == await plain.views.find(collection)
        assert rerun.views.reruns.rehearsed > 0
        await handlers.rebuild(rerun, POLICY, SetAside(rerun.views))
        for collection in (queries.REPORTS, queries.QUEUE):
            assert await rerun.views.find(collection) == await plain.views.find(collection)
    finally:
        await plain.close()
        await rerun.close()
