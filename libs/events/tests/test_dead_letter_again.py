"""A dead letter replayed into its service's queue and dead-lettered again keeps the routing key
it was first published with (found by the fault suite's poison scenario: it came back with the
queue's name, which the default exchange had routed the replay by)."""

from __future__ import annotations

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel

from sipokat.events import Envelope
from sipokat.events.broker.consumer import (
    DEAD_LETTER_REASON,
    DEAD_LETTER_ROUTING_KEY,
    Consumer,
    RetryPolicy,
)
from sipokat.events.broker.topology import declare_exchange
from sipokat.events.testing import TrackedTopology, eventually, running

pytestmark = pytest.mark.broker


async def test_a_replayed_dead_letter_keeps_its_original_routing_key(
    rabbitmq_url: str, topology: TrackedTopology, channel: AbstractChannel
) -> None:
    async def handler(envelope: Envelope) -> None:
        raise AssertionError("garbage never reaches the handler")

    consumer = Consumer(
        rabbitmq_url, topology, "strict", ["report.#"], handler, retry=RetryPolicy(attempts=1)
    )
    exchange = await declare_exchange(channel, topology)
    async with running(consumer):
        await eventually(lambda: _ready(consumer))
        await exchange.publish(
            aio_pika.Message(b"not json", message_id="garbage-1"), routing_key="report.submitted"
        )
        await eventually(lambda: consumer.stats.dead_lettered.get("unparseable") == 1)
        dlq = await channel.declare_queue(topology.dead_letter_queue("strict"), passive=True)
        first = await dlq.get(no_ack=True, timeout=10)
        assert (first.headers or {})[DEAD_LETTER_ROUTING_KEY] == "report.submitted"

        # What `sipokat dlq replay` does: the copy, its headers kept, straight into the queue.
        await channel.default_exchange.publish(
            aio_pika.Message(first.body, message_id=first.message_id, headers=first.headers),
            routing_key=topology.service_queue("strict"),
        )
        await eventually(lambda: consumer.stats.dead_lettered.get("unparseable") == 2)
        again = await eventually(lambda: dlq.get(no_ack=True, fail=False), timeout=10)

    headers = again.headers or {}
    assert headers[DEAD_LETTER_REASON] == "unparseable"
    assert headers[DEAD_LETTER_ROUTING_KEY] == "report.submitted"


async def _ready(consumer: Consumer) -> bool:
    return await consumer.lag() is not None
