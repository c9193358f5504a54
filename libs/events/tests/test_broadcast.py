"""A broadcast among replicas, on the real broker: every running one gets every message."""

from __future__ import annotations

import asyncio

import aio_pika
from aio_pika.abc import AbstractChannel

from sipokat.events.broker.broadcast import MOST_PER_MESSAGE, Broadcast
from sipokat.events.testing import TrackedTopology, eventually, running


def replica(url: str, topology: TrackedTopology, received: list[object]) -> Broadcast:
    return Broadcast(url, topology, "svc", received.append, name=f"{topology.prefix}.broadcast")


async def test_what_one_replica_sends_every_running_replica_gets_in_order(
    rabbitmq_url: str, topology: TrackedTopology
) -> None:
    got_a: list[object] = []
    got_b: list[object] = []
    a, b = replica(rabbitmq_url, topology, got_a), replica(rabbitmq_url, topology, got_b)
    sent = [{"n": n} for n in range(MOST_PER_MESSAGE * 2 + 7)]  # several messages' worth
    async with running(a, b):
        await eventually(lambda: a.listening.is_set() and b.listening.is_set())
        for value in sent:
            a.send(value)
        b.send("from b")
        await eventually(lambda: len(got_a) == len(got_b) == len(sent) + 1)
    assert [m for m in got_a if m != "from b"] == sent
    assert [m for m in got_b if m != "from b"] == sent
    assert "from b" in got_a and "from b" in got_b


async def test_a_replica_not_connected_delivers_to_itself_only(
    rabbitmq_url: str, topology: TrackedTopology
) -> None:
    got_alone: list[object] = []
    got_other: list[object] = []
    alone = replica(rabbitmq_url, topology, got_alone)
    other = replica(rabbitmq_url, topology, got_other)
    async with running(other):
        await eventually(lambda: other.listening.is_set())
        alone.send("while not connected")
        await asyncio.sleep(0.3)  # time for a broker round trip, were one made
    assert got_alone == ["while not connected"]
    assert got_other == []


async def test_a_value_or_message_that_cannot_be_delivered_does_not_stop_the_next(
    rabbitmq_url: str, topology: TrackedTopology, channel: AbstractChannel
) -> None:
    delivered: list[object] = []

    def deliver(value: object) -> None:
        if value == "bad":
            raise ValueError("cannot take this one")
        delivered.append(value)

    broadcast = Broadcast(rabbitmq_url, topology, "svc", deliver, name=f"{topology.prefix}.b")
    async with running(broadcast):
        await eventually(lambda: broadcast.listening.is_set())
        exchange = await channel.get_exchange(broadcast.exchange)
        await exchange.publish(aio_pika.Message(b"not json"), routing_key="")
        await exchange.publish(aio_pika.Message(b'{"not": "a list"}'), routing_key="")
        broadcast.send("bad")
        broadcast.send("good")
        await eventually(lambda: delivered == ["good"])
