"""The integrator example works as docs/integrators.md says: its own queue receives events, a
replay of the event log resumes from the offset it stored and skips, with a word on stderr,
entries that are not events; it finds the platform's broker names by SIPOKAT_BROKER_PREFIX."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import aio_pika
import pytest

from sipokat.events.broker.topology import declare_event_log, declare_exchange
from sipokat.events.envelope import Envelope
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


async def _publish(url: str, topology: TrackedTopology, entries: list[Envelope | bytes]) -> None:
    """Events, and raw bodies that are none, onto the exchange (and so into the log), in order."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_event_log(channel, topology)
        exchange = await declare_exchange(channel, topology)
        for entry in entries:
            if isinstance(entry, bytes):
                message, key = aio_pika.Message(entry), "report.submitted"
            else:
                message = aio_pika.Message(entry.to_json(), message_id=str(entry.event_id))
                key = entry.routing_key
            await exchange.publish(message, routing_key=key)


def _run_example(url: str, prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The example as an integrator runs it, told the platform's prefix by the environment."""
    env = {**os.environ, "RABBITMQ_URL": url, "SIPOKAT_BROKER_PREFIX": prefix}
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
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


async def test_the_example_finds_the_event_log_by_the_platforms_prefix(
    rabbitmq_url: str, topology: TrackedTopology, tmp_path: Path
) -> None:
    offset_file = tmp_path / "offset.txt"
    events = make_stream(2)
    await _publish(rabbitmq_url, topology, list(events))
    run = await asyncio.to_thread(
        _run_example, rabbitmq_url, topology.prefix, "replay", "--offset-file", str(offset_file)
    )
    assert run.returncode == 0, run.stderr
    printed = [line for line in run.stdout.splitlines() if " report " in line]
    assert [line.split()[1] for line in printed] == [e.type for e in events]
    assert all(str(events[0].data.report_id) in line for line in printed)  # type: ignore[attr-defined]
    assert offset_file.read_text() == "1"


async def test_replay_reports_and_skips_entries_that_are_not_events(
    rabbitmq_url: str, topology: TrackedTopology, tmp_path: Path
) -> None:
    offset_file = tmp_path / "offset.txt"
    good = make_stream(3)
    # As a live platform's log holds them: whatever anyone published to the exchange.
    await _publish(
        rabbitmq_url,
        topology,
        [good[0], b"\xffnot json", good[1], b'{"hello": "world"}', good[2], b"[1, 2]"],
    )
    replay = ("replay", "--prefix", topology.prefix, "--offset-file", str(offset_file))
    run = await asyncio.to_thread(_run_example, rabbitmq_url, topology.prefix, *replay)
    assert run.returncode == 0, run.stderr
    printed = [line.split()[1] for line in run.stdout.splitlines() if " report " in line]
    assert printed == [e.type for e in good]
    skipped = [line for line in run.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 3, run.stderr
    assert skipped[0].startswith("skipped offset 1: not JSON")
    assert skipped[1].startswith("skipped offset 3: not an event envelope: no event_id")
    assert skipped[2].startswith("skipped offset 5: not an event envelope: a JSON list")
    assert "3 event(s), 3 skipped" in run.stdout
    assert offset_file.read_text() == "5"  # past the last entry, a skipped one

    again = await asyncio.to_thread(_run_example, rabbitmq_url, topology.prefix, *replay)
    assert again.returncode == 0, again.stderr
    assert "0 event(s), 0 skipped" in again.stdout
    assert again.stderr == ""


async def test_a_live_subscriber_skips_a_message_that_is_not_an_event(
    example: ModuleType, rabbitmq_url: str, topology: TrackedTopology
) -> None:
    received: list[str] = []
    skipped: list[str] = []

    async def collect(envelope: dict[str, Any]) -> None:
        received.append(envelope["event_id"])

    stop = asyncio.Event()
    queue = topology.test_queue("integrator")
    subscriber = asyncio.create_task(
        example.subscribe_live(
            rabbitmq_url,
            topology.exchange,
            queue,
            ["report.#"],
            collect,
            stop,
            lambda where, reason: skipped.append(reason),
        )
    )
    events = make_stream(2)
    await eventually(lambda: _queue_exists(rabbitmq_url, queue))
    await _publish(rabbitmq_url, topology, [events[0], b"not json", events[1]])
    await eventually(lambda: len(received) == 2)
    stop.set()
    await subscriber
    assert received == [str(e.event_id) for e in events]
    assert len(skipped) == 1 and skipped[0].startswith("not JSON")
