"""The integrator example works as docs/integrators.md says: its own queue receives events, and a
replay of the event log resumes from the offset it stored."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import aio_pika
import pytest

from sipokat.events.broker.topology import declare_event_log, declare_exchange
from sipokat.events.testing import TrackedTopology, eventually, make_stream

pytestmark = pytest.mark.broker

EXAMPLE = Path(__file__).parents[1] / "examples" / "integrator_subscriber.py"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("integrator_subscriber", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def _publish(url: str, topology: TrackedTopology, events: list[Any]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_event_log(channel, topology)
        exchange = await declare_exchange(channel, topology)
        for event in events:
            await exchange.publish(
                aio_pika.Message(event.to_json(), message_id=str(event.event_id)),
                routing_key=event.routing_key,
            )


async def test_live_subscription_receives_the_keys_it_bound(
    example: ModuleType, rabbitmq_url: str, topology: TrackedTopology
) -> None:
    received: list[dict[str, Any]] = []

    async def collect(envelope: dict[str, Any]) -> None:
        received.append(envelope)

    stop = asyncio.Event()
    queue = topology.test_queue("integrator")
    subscriber = asyncio.create_task(
        example.subscribe_live(
            rabbitmq_url, topology.exchange, queue, ["report.submitted"], collect, stop
        )
    )
    events = make_stream(4)  # one submitted, then three other events of the report
    await eventually(lambda: _queue_exists(rabbitmq_url, queue))
    await _publish(rabbitmq_url, topology, events)
    await eventually(lambda: len(received) == 1)
    stop.set()
    await subscriber
    assert received[0]["event_id"] == str(events[0].event_id)
    assert received[0]["type"] == "ReportSubmitted"


async def _queue_exists(url: str, name: str) -> bool:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return False
        return True


async def test_replay_resumes_after_the_stored_offset(
    example: ModuleType, rabbitmq_url: str, topology: TrackedTopology, tmp_path: Path
) -> None:
    offset_file = tmp_path / "offset.txt"
    seen: list[str] = []

    async def collect(envelope: dict[str, Any]) -> None:
        seen.append(envelope["event_id"])

    first, later = make_stream(3), make_stream(2)
    await _publish(rabbitmq_url, topology, first)
    assert await example.replay(rabbitmq_url, topology.event_log, offset_file, collect, 1.0) == 3
    assert offset_file.read_text() == "2"

    await _publish(rabbitmq_url, topology, later)
    assert await example.replay(rabbitmq_url, topology.event_log, offset_file, collect, 1.0) == 2
    assert seen == [str(e.event_id) for e in first + later]  # each once, in order
