"""The live fold on a real store equals the independent computation, for every level and period;
redelivered, duplicated and differently interleaved events change nothing."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from analytics_support.checks import assert_matches_oracle
from analytics_support.oracle import Oracle
from analytics_support.scenario import generate

from sipokat.analytics.domain.areas import Area, Period
from sipokat.analytics.handlers import VIEW, live_batch_handler, live_handler
from sipokat.analytics.queries import (
    FACTS,
    OPEN311,
    PROGRAMMES,
    Reader,
    aggregate_collection,
    rebuild_status,
)
from sipokat.events import logrebuild
from sipokat.events.broker.topology import Topology
from sipokat.events.envelope import Envelope
from sipokat.events.foldversion import BackgroundRebuild
from sipokat.events.store import Database
from sipokat.events.store.base import ViewStore
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import RerunEffectsDatabase, eventually
from sipokat.wilayah import load_default_directory

DIRECTORY = load_default_directory()
AREAS = [
    Area(),
    Area("kota", "16.73"),
    Area("kecamatan", "16.73.01"),
    Area("kelurahan", "16.73.01.1001"),
]
PERIODS = [(None, None), ("2026-02", "2026-03"), ("2026-04", None), (None, "2026-01")]


def reader(views: ViewStore) -> Reader:
    return Reader(views, DIRECTORY, 50_000_000)


def inside(area: Area) -> Any:
    return lambda rt: area.contains(Area("rt", rt))


async def fold_all(database: Database, events: list[Envelope]) -> None:
    handle = live_handler(database)
    for event in events:
        await handle(event)


async def fold_in_batches(database: Database, events: list[Envelope], seed: int) -> None:
    """As the consumer hands a backlog over: consecutive runs of 1 to 40 events."""
    handle, rng, start = live_batch_handler(database), random.Random(seed), 0
    while start < len(events):
        size = rng.randint(1, 40)
        await handle(events[start : start + size])
        start += size


async def documents(views: ViewStore) -> dict[str, list[dict[str, Any]]]:
    collections = [
        aggregate_collection(level) for level in ("kota", "kecamatan", "kelurahan", "rt")
    ]
    return {c: await views.find(c, limit=1_000_000) for c in collections}


async def test_every_figure_equals_the_independent_computation(database: Database) -> None:
    events = generate(seed=7, reports=400)
    await fold_all(database, events)
    first_rt = events[0].data.wilayah  # type: ignore[attr-defined]
    areas = [*AREAS, Area("rt", first_rt.rt_code)]
    for area in areas:
        for first, last in PERIODS:
            oracle = Oracle(events, inside(area), first, last)
            await assert_matches_oracle(reader(database.views), oracle, area)


async def test_redelivery_duplicates_and_other_interleavings_change_nothing(
    database_factory: Any, tmp_path: Any
) -> None:
    events = generate(seed=11, reports=150)
    once = await database_factory()
    await fold_all(once, events)

    # The same events, reports interleaved differently (each report still in stream order),
    # every tenth event delivered again right away and the first 50 replayed at the end.
    rng = random.Random(3)
    streams: dict[str, list[Envelope]] = {}
    for event in events:
        streams.setdefault(event.stream_id, []).append(event)
    queues = list(streams.values())
    shuffled: list[Envelope] = []
    while queues:
        queue = rng.choice(queues)
        shuffled.append(queue.pop(0))
        if len(shuffled) % 10 == 0:
            shuffled.append(shuffled[-1])
        if not queue:
            queues.remove(queue)
    shuffled += events[:50]
    again = await SqliteDatabase.open(tmp_path / "again.db")
    batched = await SqliteDatabase.open(tmp_path / "batched.db")
    try:
        await fold_all(again, shuffled)
        assert await documents(again.views) == await documents(once.views)
        # and handed over in batches, duplicates inside a batch and across batches
        await fold_in_batches(batched, shuffled, seed=5)
        assert await documents(batched.views) == await documents(once.views)
    finally:
        await again.close()
        await batched.close()


@pytest.mark.parametrize("level", ["kelurahan", "kecamatan"])
async def test_ranking_lists_every_area_with_reports_per_rt(
    sqlite_database: Database, level: str
) -> None:
    events = generate(seed=5, reports=200)
    await fold_all(sqlite_database, events)
    city = Area("kota", "16.73")
    rows = (await reader(sqlite_database.views).ranking(level, city, Period())).body["ranking"]
    expected = 72 if level == "kelurahan" else 8
    assert len(rows) == expected  # areas without reports are ranked too: they are the news
    assert [r["rank_per_rt"] for r in rows] == list(range(1, expected + 1))
    assert sum(r["reports"] for r in rows) == len({e.stream_id for e in events})
    for row in rows:
        assert row["reports_per_rt"] == round(row["reports"] / row["rt_total"], 3)


@pytest.mark.parametrize("abort_at", [None, 1, 2])
async def test_every_fold_run_again_leaves_the_same_documents(
    tmp_path: Any, abort_at: int | None
) -> None:
    """Each transaction's fold runs once more after an aborted run (MongoDB's with_transaction
    may), one by one and in batches: the documents are those of folding each event once."""
    events = generate(seed=13, reports=120)
    stores = [await SqliteDatabase.open(tmp_path / f"{n}.db") for n in range(3)]
    once = stores[0]
    one_by_one = RerunEffectsDatabase(stores[1], abort_at=abort_at)
    batched = RerunEffectsDatabase(stores[2], abort_at=abort_at)
    try:
        await fold_all(once, events)
        await fold_all(one_by_one, [*events, *events[:30]])
        await fold_in_batches(batched, events, seed=9)
        for rerun in (one_by_one, batched):
            assert rerun.views.reruns.rehearsed > 0
            assert await documents(rerun.views) == await documents(once.views)
            for collection in (FACTS, PROGRAMMES, OPEN311):
                assert await rerun.views.find(collection, limit=10_000) == await once.views.find(
                    collection, limit=10_000
                )
    finally:
        for store in stores:
            await store.close()


def report_id(event: Envelope) -> str:
    return event.stream_id.removeprefix("report-")


class WatchedRebuild(BackgroundRebuild):
    """A rebuild that says when the live fold asks whether it runs."""

    def __init__(self, run: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        super().__init__("analytics", run)
        self.asked = asyncio.Event()

    @property
    def running(self) -> bool:
        self.asked.set()
        return super().running


async def test_the_live_fold_holds_from_the_moment_its_runtime_s_rebuild_starts(
    sqlite_database: Database,
) -> None:
    """The runtime's own rebuild holds its live fold before it has stored any marker."""
    event = generate(seed=5, reports=1)[0]
    gate = asyncio.Event()
    rebuild = WatchedRebuild(gate.wait)
    assert rebuild.start()
    held = asyncio.create_task(live_handler(sqlite_database, rebuild)(event))
    await asyncio.wait_for(rebuild.asked.wait(), timeout=30)
    rebuild.asked.clear()
    await asyncio.wait_for(rebuild.asked.wait(), timeout=30)  # asked again: it was held
    assert not held.done()
    assert await sqlite_database.views.get(FACTS, report_id(event)) is None
    gate.set()
    await asyncio.wait_for(held, timeout=30)
    assert await sqlite_database.views.get(FACTS, report_id(event)) is not None


async def test_a_rebuild_in_one_runtime_does_not_hold_another_runtime_s_live_fold(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What a rebuild holds is its own runtime's live fold and, through its marker, its own
    store's; not every fold of the same view in the process (two services in one test)."""
    gate = asyncio.Event()

    async def gated_replay(*args: Any, **kwargs: Any) -> logrebuild.RebuildReport:
        await gate.wait()
        raise RuntimeError("not replayed: the test only holds the rebuild open")

    monkeypatch.setattr(logrebuild, "_replay", gated_replay)
    event = generate(seed=5, reports=1)[0]
    rebuilding = await SqliteDatabase.open(tmp_path / "rebuilding.db")
    other = await SqliteDatabase.open(tmp_path / "other.db")
    try:
        rebuild = asyncio.create_task(
            logrebuild.rebuild(rebuilding, VIEW, "amqp://unused", Topology("unused"))
        )
        await eventually(lambda: rebuild_status(rebuilding.views), timeout=30)
        assert not rebuild.done()
        await asyncio.wait_for(live_handler(other)(event), timeout=30)
        assert await other.views.get(FACTS, report_id(event)) is not None
        gate.set()
        with pytest.raises(RuntimeError):
            await rebuild
    finally:
        gate.set()
        await rebuilding.close()
        await other.close()
