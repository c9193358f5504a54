"""The relay's batch publisher against a real broker: each event's own outcome, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import aio_pika
import aiormq
import pytest
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from sipokat.events.broker.publisher import BatchPublisher
from sipokat.events.broker.topology import declare_exchange
from sipokat.events.envelope import Envelope
from sipokat.events.store.base import RecordedEvent
from sipokat.events.testing import TrackedTopology, make_submitted


def recorded(events: list[Envelope], routing_keys: list[str] | None = None) -> list[RecordedEvent]:
    keys = routing_keys or [e.routing_key for e in events]
    return [
        RecordedEvent(position, e.event_id, e.stream_id, e.stream_version, key, e.to_json())
        for position, (e, key) in enumerate(zip(events, keys, strict=True), start=1)
    ]


@pytest.fixture
async def confirm_connection(rabbitmq_url: str) -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(rabbitmq_url)
    try:
        yield connection
    finally:
        await connection.close()


async def publisher_on(
    connection: AbstractRobustConnection, exchange: str
) -> tuple[BatchPublisher, AbstractChannel]:
    """The publisher and the aio-pika channel under it, which the caller must hold while it
    publishes: a dropped aio-pika channel marks itself closed (`Channel.__del__`)."""
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    underlay = await channel.get_underlay_channel()
    assert isinstance(underlay, aiormq.Channel)
    return BatchPublisher(underlay, exchange), channel


async def bound_queue(channel: AbstractChannel, topology: TrackedTopology, key: str) -> str:
    exchange = await declare_exchange(channel, topology)
    queue = await channel.declare_queue(topology.test_queue("published"), auto_delete=False)
    await queue.bind(exchange, routing_key=key)
    return queue.name


async def drain(channel: AbstractChannel, queue_name: str, expected: int) -> list[str]:
    queue = await channel.get_queue(queue_name)
    ids: list[str] = []
    while len(ids) < expected:
        message = await queue.get(timeout=5, fail=False)
        if message is None:
            await asyncio.sleep(0.05)
            continue
        await message.ack()
        ids.append(str(message.message_id))
    return ids


async def test_batches_are_confirmed_and_arrive_in_order(
    confirm_connection: AbstractRobustConnection,
    topology: TrackedTopology,
    channel: AbstractChannel,
) -> None:
    queue = await bound_queue(channel, topology, "#")
    publisher, _held = await publisher_on(confirm_connection, topology.exchange)
    events = [make_submitted() for _ in range(30)]
    records = recorded(events)

    # Three batches in flight at once: numbered, sent and confirmed in the order started.
    outcomes = await asyncio.gather(
        *(publisher.publish(records[i : i + 10], timeout=10) for i in range(0, 30, 10))
    )

    flat = [outcome for batch in outcomes for outcome in batch]
    assert all(isinstance(o, aiormq.spec.Basic.Ack) for o in flat), flat
    assert await drain(channel, queue, 30) == [str(e.event_id) for e in events]
    # Nothing left behind for aiormq to look up once the batches are settled.
    assert publisher.channel.message_id_delivery_tag == {}


async def test_an_unroutable_event_fails_alone_and_its_neighbours_are_confirmed(
    confirm_connection: AbstractRobustConnection,
    topology: TrackedTopology,
    channel: AbstractChannel,
) -> None:
    await bound_queue(channel, topology, "report.#")
    publisher, _held = await publisher_on(confirm_connection, topology.exchange)
    events = [make_submitted() for _ in range(3)]
    keys = ["report.submitted", "nowhere.bound", "report.submitted"]

    outcomes = await publisher.publish(recorded(events, keys), timeout=10)

    assert isinstance(outcomes[0], aiormq.spec.Basic.Ack)
    assert isinstance(outcomes[1], aiormq.exceptions.PublishError)
    assert isinstance(outcomes[2], aiormq.spec.Basic.Ack)


async def test_a_channel_the_broker_closes_fails_the_batch_at_once(
    confirm_connection: AbstractRobustConnection,
) -> None:
    # Publishing to an exchange that does not exist: the broker closes the channel (404), and
    # every pending confirmation must fail then, not when the publish timeout runs out.
    publisher, _held = await publisher_on(confirm_connection, f"test-missing-{uuid4().hex[:8]}")
    batch = recorded([make_submitted() for _ in range(5)])

    outcomes = await asyncio.wait_for(publisher.publish(batch, timeout=60), timeout=10)

    assert len(outcomes) == 5
    assert all(isinstance(o, BaseException) for o in outcomes), outcomes
