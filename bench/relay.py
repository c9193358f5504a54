"""The relay (store → broker, confirmed) beside raw aio-pika publishing the same messages.

    uv run --group bench python bench/relay.py [--events 20000]

Both publish the same events to a fresh topology's exchange (the event-log stream bound to `#`
stores them), persistent, `mandatory`, with publisher confirms pipelined in batches of 500. The
baseline's messages are built before its clock starts; the relay reads its events from a SQLite
event store, builds each message and moves its checkpoint, all inside its time. Three rounds,
interleaved; the best round of each side is reported.

Then both again, fewer events, while the event loop is busy as a service's is when it also
serves HTTP: `BUSY_TASKS` tasks each spend 0.2 ms of CPU per turn of the loop (intake under
load). Publishing that waits for the loop once per message is what this one shows up.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika
from figures import Figure, table

from sipokat.events.broker.publisher import message_properties
from sipokat.events.broker.relay import Relay
from sipokat.events.broker.topology import Topology, declare_event_log, declare_exchange
from sipokat.events.envelope import Envelope
from sipokat.events.store.base import RecordedEvent
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import DEFAULT_RABBITMQ_URL, delete_topology, make_submitted

BATCH = 500
ROUNDS = 3  # the best of each is reported
BUSY_TASKS = 20
BUSY_EVENTS = 2_000


async def keep_loop_busy(stop: asyncio.Event) -> None:
    """0.2 ms of CPU per turn of the event loop, as a request handler's step might take."""
    while not stop.is_set():
        until = time.perf_counter() + 0.0002
        while time.perf_counter() < until:
            pass
        await asyncio.sleep(0)


def raw_message(record: RecordedEvent) -> aio_pika.Message:
    """The message the relay publishes for `record`, as aio-pika's own users would make it."""
    p = message_properties(record)
    return aio_pika.Message(
        record.body,
        headers=p.headers,
        content_type=p.content_type,
        delivery_mode=p.delivery_mode,
        message_id=p.message_id,
        correlation_id=p.correlation_id,
        type=p.message_type,
        app_id=p.app_id,
        timestamp=p.timestamp,
    )


async def raw_publish(url: str, topology: Topology, records: list[RecordedEvent]) -> float:
    messages = [(raw_message(r), r.routing_key) for r in records]
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        await declare_event_log(channel, topology)
        exchange = await declare_exchange(channel, topology)
        started = time.perf_counter()
        for offset in range(0, len(messages), BATCH):
            await asyncio.gather(
                *(
                    exchange.publish(message, routing_key=key, mandatory=True, timeout=10)
                    for message, key in messages[offset : offset + BATCH]
                )
            )
        return len(messages) / (time.perf_counter() - started)


async def relay_publish(url: str, topology: Topology, db: SqliteDatabase, count: int) -> float:
    published = 0
    done = asyncio.Event()

    def confirmed(events: int) -> None:
        nonlocal published
        published += events
        if published >= count:
            done.set()

    relay = Relay(db.events, url, topology, batch_size=BATCH, on_published=confirmed)
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(relay.run(stop))
    await done.wait()
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    return count / elapsed


async def fresh_store(folder: Path, events: list[Envelope]) -> SqliteDatabase:
    db = await SqliteDatabase.open(folder / f"relay-{uuid.uuid4().hex[:8]}.db")
    await asyncio.gather(*(db.events.append([e]) for e in events))
    return db


async def run(url: str, count: int, rounds: int = ROUNDS, busy: int = 0) -> tuple[float, float]:
    events = [make_submitted() for _ in range(count)]
    raw_rates, relay_rates = [], []
    stop_busy = asyncio.Event()
    busy_tasks = [asyncio.create_task(keep_loop_busy(stop_busy)) for _ in range(busy)]
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(rounds):  # interleaved, so a burst of load elsewhere hits both
            db = await fresh_store(Path(folder), events)
            records = await db.events.read_from(0, count)
            for side in ("raw", "relay"):
                topology = Topology(f"bench-{uuid.uuid4().hex[:8]}")
                try:
                    if side == "raw":
                        raw_rates.append(await raw_publish(url, topology, records))
                    else:
                        relay_rates.append(await relay_publish(url, topology, db, count))
                finally:
                    await delete_topology(url, topology)
            await db.close()
    stop_busy.set()
    await asyncio.gather(*busy_tasks)
    return max(relay_rates), max(raw_rates)


def measure(events: int = 20_000, url: str = DEFAULT_RABBITMQ_URL) -> list[Figure]:
    relayed, raw = asyncio.run(run(url, events))
    busy_events = min(events, BUSY_EVENTS)
    busy_relayed, busy_raw = asyncio.run(run(url, busy_events, rounds=1, busy=BUSY_TASKS))
    return [
        Figure(
            "b. relay publish, confirmed",
            "events/s",
            relayed,
            baseline=raw,
            baseline_name="raw aio-pika, same messages, confirms pipelined",
            target=0.8,
        ),
        Figure(
            "b. relay publish, confirmed, the loop busy serving requests",
            "events/s",
            busy_relayed,
            baseline=busy_raw,
            baseline_name=f"raw aio-pika, same {busy_events:,} messages, same busy loop",
            notes=f"{BUSY_TASKS} tasks spending 0.2 ms of CPU per turn of the loop",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    print(table(measure(args.events)))


if __name__ == "__main__":
    main()
