"""Analytics rebuild from the event log beside raw reads of the same stream, in one run (DESIGN §9).

    uv run --group bench python bench/rebuild.py --reports 20000

Publishes generated report lifecycles to a fresh `bench-<hex>` topology, reads its event log
stream raw twice, bodies not parsed: over AMQP 0-9-1 with aio-pika (`read_event_log`) and over the
native stream protocol with rstream (`read_event_log_native`); then rebuilds the analytics views
from it into a fresh SQLite store (`sipokat.events.logrebuild.rebuild` with analytics' `VIEW`,
which picks the native reader when port 5552 answers). The idle wait at the end of an AMQP read
is not counted; the native reader knows the last offset and does not wait. Targets: rebuild ≥ 0.8
of the faster raw read, and ≥ 10,000 events/s. Deletes the topology afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika
import psutil
from figures import Figure, table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "services" / "analytics" / "tests"))

from analytics_support.scenario import generate  # noqa: E402

from sipokat.analytics.handlers import VIEW  # noqa: E402
from sipokat.events.broker.eventlog import read_event_log, read_event_log_native  # noqa: E402
from sipokat.events.broker.streamlog import stream_port_answers, stream_url_for  # noqa: E402
from sipokat.events.broker.topology import Topology, declare_event_log  # noqa: E402
from sipokat.events.logrebuild import rebuild  # noqa: E402
from sipokat.events.store.sqlite import SqliteDatabase  # noqa: E402
from sipokat.events.testing import DEFAULT_RABBITMQ_URL, delete_topology  # noqa: E402


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def publish_all(url: str, topology: Topology, reports: int) -> int:
    """Generated lifecycles (rejections, revisions, overdue, programmes), confirms pipelined."""
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


async def raw_read(reader, url: str, topology: Topology, idle: float) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Entries and seconds up to the last entry (an idle wait after it is not counted)."""
    count, started, last = 0, time.perf_counter(), 0.0
    async for _ in reader(url, topology, start="first", idle=idle):
        count += 1
        last = time.perf_counter()
    return count, last - started


async def measure_async(
    reports: int = 20000, url: str = DEFAULT_RABBITMQ_URL, idle: float = 2.0
) -> list[Figure]:
    topology = Topology(f"bench-{uuid.uuid4().hex[:8]}")
    stream_url = stream_url_for(url)
    load = os.getloadavg()
    try:
        published = await publish_all(url, topology, reports)
        amqp_count, amqp_seconds = await raw_read(read_event_log, url, topology, idle)
        amqp_rate = amqp_count / amqp_seconds
        native_rate = 0.0
        if await stream_port_answers(stream_url):
            native_count, native_seconds = await raw_read(
                read_event_log_native, stream_url, topology, idle
            )
            assert native_count == amqp_count == published, (native_count, amqp_count, published)
            native_rate = native_count / native_seconds
        else:
            print(f"stream protocol port does not answer at {stream_url}: AMQP only")
        with tempfile.TemporaryDirectory() as directory:
            database = await SqliteDatabase.open(Path(directory) / "analytics.db")
            try:
                wall = time.perf_counter()
                report = await rebuild(database, VIEW, url, topology, idle=idle)
                wall = time.perf_counter() - wall
            finally:
                await database.close()
        assert report.state == "done" and report.events_read == published, report
    finally:
        await delete_topology(url, topology)
    load_after = os.getloadavg()
    raw_rate, raw_name = max((native_rate, "native stream read"), (amqp_rate, "AMQP 0-9-1 read"))
    notes = (
        f"{published:,} events of {reports:,} reports, {report.reader} reader, "
        f"wall {wall:.1f} s incl. reset, peak RSS {peak_rss_mb():.0f} MB"
    )
    extra: dict[str, float | str] = {
        "events": published,
        "amqp_raw_per_s": round(amqp_rate),
        "native_raw_per_s": round(native_rate),
        "rebuild_seconds": report.seconds,
        "rebuild_wall_seconds": round(wall, 2),
        "peak_rss_mb": round(peak_rss_mb()),
        "load_before": " ".join(f"{x:.2f}" for x in load),
        "load_after": " ".join(f"{x:.2f}" for x in load_after),
    }
    return [
        Figure(
            "analytics rebuild vs raw read of the log",
            "events/s",
            report.events_per_second,
            baseline=raw_rate,
            baseline_name=raw_name,
            target=0.8,
            notes=notes,
            extra=extra,
        ),
        Figure(
            "analytics rebuild, absolute",
            "events/s",
            report.events_per_second,
            target=10_000,
            target_is_value=True,
            notes=f"AMQP 0-9-1 raw read {amqp_rate:,.0f}/s, native {native_rate:,.0f}/s",
        ),
        Figure(
            "raw read: native stream protocol vs AMQP 0-9-1",
            "events/s",
            native_rate,
            baseline=amqp_rate,
            baseline_name="aio-pika",
        ),
    ]


def measure(reports: int = 20000) -> list[Figure]:
    return asyncio.run(measure_async(reports))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--url", default=DEFAULT_RABBITMQ_URL)
    parser.add_argument("--idle", type=float, default=2.0)
    args = parser.parse_args()
    figures = asyncio.run(measure_async(args.reports, args.url, args.idle))
    print(table(figures))
    for figure in figures:
        if figure.extra:
            print(figure.extra)
    print(f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    _ = psutil  # the bench group's psutil: figures.machine() uses it


if __name__ == "__main__":
    main()
