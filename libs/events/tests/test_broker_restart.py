"""The broker stops and starts under load: nothing is lost, nothing is applied twice.

This stops the RabbitMQ application (`rabbitmqctl stop_app`) for a few seconds: of a node of the
fault tests' own (tests/chaos/broker_node.py, started once per session), never the shared
broker, which every other test and platform uses meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from uuid import UUID

import pytest
from chaos.broker_node import BrokerNode, chaos_broker

from sipokat.events import Envelope
from sipokat.events.broker.consumer import Consumer, RetryPolicy
from sipokat.events.broker.relay import Relay
from sipokat.events.store import Database, ViewTransaction
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import (
    PLATFORM_SERVICES,
    TrackedTopology,
    delete_topology,
    eventually,
    make_submitted,
    new_topology,
    running,
)

pytestmark = [pytest.mark.broker, pytest.mark.disruptive]

__all__ = ["chaos_broker"]  # the fixture, imported to be found here


@pytest.fixture
async def topology(chaos_broker: BrokerNode) -> AsyncIterator[TrackedTopology]:
    """A test prefix on the fault tests' node, deleted afterwards."""
    tracked = new_topology()
    yield tracked
    await asyncio.to_thread(chaos_broker.start_app)  # never leave it stopped
    services = sorted(tracked.services | set(PLATFORM_SERVICES))
    await delete_topology(chaos_broker.url, tracked, services)


@pytest.fixture
async def producer_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = await SqliteDatabase.open(tmp_path / "producer.db")
    yield db
    await db.close()


@pytest.fixture
async def consumer_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = await SqliteDatabase.open(tmp_path / "consumer.db")
    yield db
    await db.close()


async def test_broker_restart_loses_nothing_and_applies_nothing_twice(
    chaos_broker: BrokerNode,
    topology: TrackedTopology,
    producer_db: Database,
    consumer_db: Database,
) -> None:
    url = chaos_broker.url
    handled: list[UUID] = []  # every call that applied its event (apply_once returned True)

    async def handler(envelope: Envelope) -> None:
        async def effect(tx: ViewTransaction) -> None:
            await tx.increment("seen", str(envelope.event_id), {"n": 1})
            await tx.increment("totals", "all", {"n": 1})

        if await consumer_db.views.apply_once(envelope.event_id, effect):
            handled.append(envelope.event_id)

    relay = Relay(producer_db.events, url, topology, poll_interval=0.2)
    consumer = Consumer(
        url,
        topology,
        "restart",
        ["report.#"],
        handler,
        retry=RetryPolicy(attempts=3, first_backoff=0.05),
    )
    appended: list[UUID] = []
    keep_appending = asyncio.Event()
    keep_appending.set()

    async def append_continuously() -> None:
        # The producing service goes on accepting reports whatever the broker does.
        while keep_appending.is_set():
            event = make_submitted()
            await producer_db.events.append([event])
            appended.append(event.event_id)
            relay.notify()
            await asyncio.sleep(0.02)

    async def applied() -> int:
        return await consumer_db.views.applied_count()

    async with running(relay, consumer):
        # The service queue must exist before the first event is published, or that event only
        # reaches the log (a fresh deployment declares its queues before producers start).
        await eventually(lambda: _is_not_none(consumer.lag()))
        appender = asyncio.create_task(append_continuously())
        try:
            await eventually(lambda: len(handled) >= 20, timeout=30)
            try:
                await asyncio.to_thread(chaos_broker.stop_app)
                stopped_at = len(appended)
                await eventually(lambda: len(appended) >= stopped_at + 50, timeout=30)
                assert not relay.link.connected.is_set()
                assert not consumer.link.connected.is_set()
            finally:
                await asyncio.to_thread(chaos_broker.start_app)  # never leave it stopped
            restarted_at = len(appended)
            await eventually(lambda: relay.link.connected.is_set(), timeout=60)
            await eventually(lambda: len(appended) >= restarted_at + 30, timeout=30)
        finally:
            keep_appending.clear()
            with contextlib.suppress(asyncio.CancelledError):
                await appender

        total = len(appended)
        await eventually(
            lambda: _equals(applied(), total),
            timeout=90,
            message=lambda: (
                f"{len(handled)} of {total} applied; relay at {relay.position}, "
                f"consumer {consumer.stats}"
            ),
        )

    assert relay.link.reconnects >= 1 and consumer.link.reconnects >= 1
    assert await producer_db.events.last_position() == total
    assert await producer_db.events.load_checkpoint("relay") == total
    # none lost, none applied twice
    assert sorted(handled) == sorted(appended)
    assert len(set(handled)) == len(handled) == total
    assert await consumer_db.views.get("totals", "all") == {"n": total}
    seen = await consumer_db.views.find("seen", limit=total + 10)
    assert len(seen) == total and all(doc == {"n": 1} for doc in seen)


async def _is_not_none(value: Awaitable[object]) -> bool:
    return await value is not None


async def _equals(value: Awaitable[object], expected: object) -> bool:
    return await value == expected
