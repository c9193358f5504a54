"""The failover run's load, relays, tap and drain, on a SQLite store and the real RabbitMQ: all
of the proof but the replica set, so a mistake in it shows here and not first on a replica set."""

from __future__ import annotations

from pathlib import Path

import pytest
from mongo_failover import load
from mongo_failover.check import check

from sipokat.events.store.base import Database
from sipokat.events.store.sqlite import SqliteDatabase

pytestmark = pytest.mark.broker


def sqlite_store(tmp_path: Path) -> load.OpenStore:
    async def open_store() -> Database:
        return await SqliteDatabase.open(tmp_path / "store.db")

    return open_store


async def test_a_run_without_failures_is_proved(rabbitmq_url: str, tmp_path: Path) -> None:
    disrupted: list[float] = []

    async def nothing(started: float) -> None:
        disrupted.append(started)

    outcome = await load.run(
        sqlite_store(tmp_path),
        rabbitmq_url,
        writers=3,
        replicas=2,
        duration=2.0,
        disrupt=nothing,
        drain_seconds=60,
    )
    assert len(disrupted) == 1
    assert outcome.drained and outcome.tap_complete
    assert outcome.disruption_error is None and outcome.writer_errors == []
    verdict = check(outcome.appends, outcome.delivered, outcome.stored)
    assert verdict.ok, verdict.violations()
    # Every writer appended, batches of one to three events, and the relays published them.
    assert verdict.acknowledged == verdict.stored == len(outcome.delivered) > 3
    assert all(append.acknowledged for append in outcome.appends)


async def test_a_failing_disruption_is_reported_and_the_run_still_checked(
    rabbitmq_url: str, tmp_path: Path
) -> None:
    async def broken(started: float) -> None:
        raise RuntimeError("the replica set did not take m0 back in 300 s")

    outcome = await load.run(
        sqlite_store(tmp_path),
        rabbitmq_url,
        writers=1,
        replicas=1,
        duration=0.5,
        disrupt=broken,
        drain_seconds=60,
    )
    assert outcome.disruption_error == (
        "RuntimeError: the replica set did not take m0 back in 300 s"
    )
    assert outcome.drained and outcome.tap_complete
    assert check(outcome.appends, outcome.delivered, outcome.stored).ok
