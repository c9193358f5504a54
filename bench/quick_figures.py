"""Quick figures of the foundation (issue 2): SQLite appends/s and relay publish rate.

    uv run python bench/quick_figures.py

Not the full benchmark suite (that is `make bench`, issue 8): two numbers to see the foundation
is in the right range. Each figure is printed beside a baseline measured in the same run.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika

from sipokat.events.broker.relay import Relay
from sipokat.events.broker.topology import Topology, declare_event_log, declare_exchange
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import delete_topology, make_submitted

URL = "amqp://guest:guest@127.0.0.1/"


async def store_appends(count: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        db = await SqliteDatabase.open(Path(folder) / "bench.db")
        events = [make_submitted() for _ in range(count)]
        started = time.perf_counter()
        for event in events:
            await db.events.append([event])
        elapsed = time.perf_counter() - started
        await db.close()
    return count / elapsed


async def raw_publish(count: int, topology: Topology) -> float:
    """Baseline: aio-pika publishing the same bodies with confirms, pipelined in batches."""
    bodies = [make_submitted().to_json() for _ in range(count)]
    connection = await aio_pika.connect(URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_event_log(channel, topology)
        exchange = await declare_exchange(channel, topology)
        started = time.perf_counter()
        for offset in range(0, count, 500):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        routing_key="report.submitted",
                    )
                    for body in bodies[offset : offset + 500]
                )
            )
        return count / (time.perf_counter() - started)


async def relay_publish(count: int, topology: Topology) -> float:
    with tempfile.TemporaryDirectory() as folder:
        db = await SqliteDatabase.open(Path(folder) / "bench.db")
        for _ in range(count):
            await db.events.append([make_submitted()])
        published = 0
        done = asyncio.Event()

        def confirmed(events: int) -> None:
            nonlocal published
            published += events
            if published >= count:
                done.set()

        relay = Relay(db.events, URL, topology, on_published=confirmed)
        stop = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(relay.run(stop))
        await done.wait()
        elapsed = time.perf_counter() - started
        stop.set()
        await task
        await db.close()
    return count / elapsed


async def main() -> None:
    topology = Topology(f"bench-{uuid.uuid4().hex[:8]}")
    try:
        appends = await store_appends(5000)
        raw = await raw_publish(10_000, topology)
        relayed = await relay_publish(10_000, topology)
    finally:
        await delete_topology(URL, topology)
    print(f"SQLite event store, one event per append: {appends:8.0f} appends/s")
    print(f"relay (store → broker, confirmed):        {relayed:8.0f} events/s")
    ratio = relayed / raw
    print(f"raw aio-pika publish with confirms:       {raw:8.0f} events/s  (ratio {ratio:.2f})")


if __name__ == "__main__":
    asyncio.run(main())
