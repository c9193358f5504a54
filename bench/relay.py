"""The relay (store → broker, confirmed) beside raw aio-pika publishing the same messages.

    uv run --group bench python bench/relay.py [--events 20000]

Both publish the same events to a fresh topology's exchange (the event-log stream bound to `#`
stores them), persistent, `mandatory`, with publisher confirms pipelined in batches of 500. The
baseline's messages are built before its clock starts; the relay reads its events from a SQLite
event store, builds each message and moves its checkpoint, all inside its time. Three rounds,
interleaved; the best round of each side is reported.
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

from sipokat.events.broker.relay import Relay, to_message
from sipokat.events.broker.topology import Topology, declare_event_log, declare_exchange
from sipokat.events.envelope import Envelope
from sipokat.events.store.base import RecordedEvent
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import DEFAULT_RABBITMQ_URL, delete_topology, make_submitted

BATCH = 500
ROUNDS = 3  # the best of each is reported


async def raw_publish(url: str, topology: Topology, records: list[RecordedEvent]) -> float:
    messages = [(to_message(r), r.routing_key) for r in records]
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


async def run(url: str, count: int) -> tuple[float, float]:
    events = [make_submitted() for _ in range(count)]
    raw_rates, relay_rates = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(ROUNDS):  # interleaved, so a burst of load elsewhere hits both
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
    return max(relay_rates), max(raw_rates)


def measure(events: int = 20_000, url: str = DEFAULT_RABBITMQ_URL) -> list[Figure]:
    relayed, raw = asyncio.run(run(url, events))
    return [
        Figure(
            "b. relay publish, confirmed",
            "events/s",
            relayed,
            baseline=raw,
            baseline_name="raw aio-pika, same messages, confirms pipelined",
            target=0.8,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    print(table(measure(args.events)))


if __name__ == "__main__":
    main()
