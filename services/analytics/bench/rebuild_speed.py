"""Rebuild speed beside a raw read of the same stream, in the same run (DESIGN §9).

    uv run python services/analytics/bench/rebuild_speed.py --reports 25000

Publishes generated report lifecycles to a fresh `bench-<hex>` topology, reads the event log
stream raw (AMQP 0-9-1, bodies not even parsed), then rebuilds the analytics views from it into a
fresh SQLite store, and prints events/s of both, their ratio and the peak RSS. The idle wait at
the end of each read is not counted. Deletes the topology afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from analytics_support.scenario import generate

from sipokat.analytics.rebuild import rebuild
from sipokat.events.broker.eventlog import read_event_log
from sipokat.events.broker.topology import Topology, declare_event_log
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import delete_topology


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def publish_all(url: str, topology: Topology, reports: int) -> int:
    connection = await aio_pika.connect(url)
    count = 0
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_event_log(channel, topology)
        exchange = await channel.get_exchange(topology.exchange)
        for start in range(0, reports, 2000):
            events = generate(seed=start, reports=min(2000, reports - start))
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(e.model_dump_json().encode(), message_id=str(e.event_id)),
                        routing_key=e.data.routing_key(),
                    )
                    for e in events
                )
            )
            count += len(events)
    return count


async def raw_read(url: str, topology: Topology, idle: float) -> tuple[int, float]:
    count, started, last = 0, time.perf_counter(), 0.0
    async for _ in read_event_log(url, topology, start="first", idle=idle):
        count += 1
        last = time.perf_counter()
    return count, last - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=25_000)
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1/")
    parser.add_argument("--idle", type=float, default=2.0)
    args = parser.parse_args()
    topology = Topology(f"bench-{uuid.uuid4().hex[:8]}")
    try:
        published = await publish_all(args.url, topology, args.reports)
        print(f"published {published} events of {args.reports} reports; rss {rss_mb():.0f} MB")
        raw_count, raw_seconds = await raw_read(args.url, topology, args.idle)
        raw_rate = raw_count / raw_seconds
        print(f"raw read: {raw_count} events in {raw_seconds:.2f}s = {raw_rate:,.0f} events/s")
        with tempfile.TemporaryDirectory() as directory:
            database = await SqliteDatabase.open(Path(directory) / "analytics.db")
            try:
                report = await rebuild(database, args.url, topology, idle=args.idle)
            finally:
                await database.close()
        print(
            f"rebuild:  {report.events_read} events in {report.seconds:.2f}s = "
            f"{report.events_per_second:,.0f} events/s "
            f"({report.events_per_second / raw_rate:.2f} of the raw read); "
            f"peak rss {rss_mb():.0f} MB"
        )
    finally:
        await delete_topology(args.url, topology)


if __name__ == "__main__":
    asyncio.run(main())
