"""A broadcast among replicas, on the real broker: every running one gets every message."""

from __future__ import annotations

import asyncio

from sipokat.events.broker.broadcast import Broadcast
from sipokat.events.testing import TrackedTopology, eventually, running


def replica(url: str, topology: TrackedTopology, received: list[bytes]) -> Broadcast:
    return Broadcast(url, topology, "svc", received.append, name=f"{topology.prefix}.broadcast")


async def test_what_one_replica_sends_every_running_replica_gets(
    rabbitmq_url: str, topology: TrackedTopology
) -> None:
    got_a: list[bytes] = []
    got_b: list[bytes] = []
    a, b = replica(rabbitmq_url, topology, got_a), replica(rabbitmq_url, topology, got_b)
    async with running(a, b):
        await eventually(lambda: a.listening.is_set() and b.listening.is_set())
        for n in range(3):
            a.send(b"from a %d" % n)
        b.send(b"from b")
        await eventually(lambda: len(got_a) == 4 and len(got_b) == 4)
    expected = [b"from a 0", b"from a 1", b"from a 2"]
    assert [m for m in got_a if m.startswith(b"from a")] == expected
    assert [m for m in got_b if m.startswith(b"from a")] == expected
    assert b"from b" in got_a and b"from b" in got_b


async def test_a_replica_not_connected_delivers_to_itself_only(
    rabbitmq_url: str, topology: TrackedTopology
) -> None:
    got_alone: list[bytes] = []
    got_other: list[bytes] = []
    alone = replica(rabbitmq_url, topology, got_alone)
    other = replica(rabbitmq_url, topology, got_other)
    async with running(other):
        await eventually(lambda: other.listening.is_set())
        alone.send(b"while not connected")
        await asyncio.sleep(0.3)  # time for a broker round trip, were one made
    assert got_alone == [b"while not connected"]
    assert got_other == []


async def test_a_message_that_cannot_be_delivered_does_not_stop_the_next(
    rabbitmq_url: str, topology: TrackedTopology
) -> None:
    delivered: list[bytes] = []

    def deliver(body: bytes) -> None:
        if body == b"bad":
            raise ValueError("cannot take this one")
        delivered.append(body)

    broadcast = Broadcast(rabbitmq_url, topology, "svc", deliver, name=f"{topology.prefix}.b")
    async with running(broadcast):
        await eventually(lambda: broadcast.listening.is_set())
        broadcast.send(b"bad")
        broadcast.send(b"good")
        await eventually(lambda: delivered == [b"good"])
