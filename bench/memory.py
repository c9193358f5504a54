"""Peak RSS of each service with `--events` events in the log, beside its idle RSS (issue 8).

    uv run --group bench python bench/memory.py [--events 1000000] [--no-rebuild]

Generated report lifecycles over every RT of the directory (services/analytics/tests/
analytics_support/scenario.py: submissions, rejections, revisions, approvals tier by tier,
verifications, overdue; ≈ 4.7 events a report) go onto a fresh platform:

1. intake's and verification's SQLite stores are seeded with the full streams (publish=False), as
   each producer holds them in the field (its own events plus those it records from the other);
   their queues then redeliver what they already have (idempotent by event_id, but each message
   still parsed, looked up and, for verification, its status view refreshed);
2. the four services start, and each one's idle RSS is taken;
3. the events are published to the topology's exchange (pipelined confirms, batches), so they land
   in the `…events.log` stream and in every service queue while the services consume them;
4. once every queue is drained, analytics rebuilds its views from the whole log
   (`POST /v1/analytics/rebuild`).

RSS of every service process is sampled every 0.5 s; the peak is the larger of the samples and
the kernel's VmHWM. Deletes the topology and the data afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from uuid import UUID

import aio_pika
import httpx
import psutil
from figures import Figure, table
from processes import SERVICES, Platform, clean_up_on_sigterm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "services" / "analytics" / "tests"))

from analytics_support.scenario import generate  # noqa: E402

from sipokat.events.envelope import Envelope  # noqa: E402
from sipokat.events.store.sqlite import SqliteDatabase  # noqa: E402
from sipokat.runtime.testing import bearer  # noqa: E402
from sipokat.wilayah import load_default_directory  # noqa: E402

REPORTS_PER_BATCH = 2000
LIVE_TIMEOUT = 30.0  # seconds a timed /health/live request may take
EVENTS_PER_REPORT = 4.74  # what `generate` makes on average; sizes the number of reports


def batches(events: int) -> list[tuple[int, int]]:
    """(seed, reports) of each generated batch, enough reports for about `events` events."""
    reports = max(1, round(events / EVENTS_PER_REPORT))
    return [
        (seed, min(REPORTS_PER_BATCH, reports - seed))
        for seed in range(0, reports, REPORTS_PER_BATCH)
    ]


def all_rts() -> list[str]:
    directory = load_default_directory()
    return [
        rt
        for city in directory.cities
        for kecamatan in city.kecamatan
        for kelurahan in kecamatan.kelurahan
        for rt in kelurahan.rt_codes()
    ]


def lifecycles(seed: int, reports: int, rts: list[str]) -> list[Envelope]:
    """`generate`'s events with event ids derived from (stream, version), so that generating a
    batch again (to publish what was seeded, without holding a million envelopes in memory)
    gives the very same events. Shaped as UUIDv7, as producers make them."""
    events = []
    for envelope in generate(seed=seed, reports=reports, rts=rts):
        digest = hashlib.sha256(f"{envelope.stream_id}/{envelope.stream_version}".encode())
        number = int.from_bytes(digest.digest()[:16], "big")
        number = (number & ~(0xF << 76)) | (0x7 << 76)  # version 7
        number = (number & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
        events.append(envelope.model_copy(update={"event_id": UUID(int=number)}))
    return events


async def seed_stores(data_dir: Path, plan: list[tuple[int, int]], rts: list[str]) -> int:
    """Each producer's store with every report's full stream, not to be published again."""
    databases = [
        await SqliteDatabase.open(data_dir / f"{s}.db") for s in ("intake", "verification")
    ]
    stored = 0
    try:
        for seed, reports in plan:
            streams: dict[str, list[Envelope]] = defaultdict(list)
            for envelope in lifecycles(seed, reports, rts):
                streams[envelope.stream_id].append(envelope)
            for database in databases:
                await asyncio.gather(
                    *(database.events.append(s, publish=False) for s in streams.values())
                )
            stored += sum(len(s) for s in streams.values())
    finally:
        for database in databases:
            await database.close()
    return stored


async def publish(url: str, exchange_name: str, plan: list[tuple[int, int]], rts: list[str]) -> int:
    connection = await aio_pika.connect(url)
    count = 0
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_name)
        for seed, reports in plan:
            events = lifecycles(seed, reports, rts)
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            e.model_dump_json().encode(),
                            message_id=str(e.event_id),
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=e.data.routing_key(),
                    )
                    for e in events
                )
            )
            count += len(events)
    return count


class RssSampler(threading.Thread):
    """Every service's RSS every `interval` seconds; `peaks` holds the largest seen, in MiB.
    Every `live_every` samples it also times each service's /health/live: `slowest_live` holds
    the longest answer, in seconds (a loop blocked by a backlog shows there)."""

    def __init__(self, platform: Platform, interval: float = 0.5, live_every: int = 4) -> None:
        super().__init__(daemon=True)
        self.platform, self.interval, self.live_every = platform, interval, live_every
        self.peaks: dict[str, float] = defaultdict(float)
        self.slowest_live: dict[str, float] = defaultdict(float)
        self.stopping = threading.Event()

    def run(self) -> None:
        samples = 0
        while not self.stopping.wait(self.interval):
            try:
                for service, mib in rss_mib(self.platform).items():
                    self.peaks[service] = max(self.peaks[service], mib)
            except psutil.NoSuchProcess:
                return  # the main thread's `check_running` says which and why
            samples += 1
            if samples % self.live_every == 0:
                for service in SERVICES:
                    self.slowest_live[service] = max(
                        self.slowest_live[service], live_seconds(self.platform, service)
                    )

    def stop(self) -> dict[str, float]:
        self.stopping.set()
        self.join(timeout=LIVE_TIMEOUT + 5)  # past a /health/live request under way
        return dict(self.peaks)


def live_seconds(platform: Platform, service: str) -> float:
    started = time.monotonic()
    # A timeout is the figure; a process gone is `check_running`'s to tell.
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(f"{platform.url(service)}/health/live", timeout=LIVE_TIMEOUT)
    return time.monotonic() - started


def rss_mib(platform: Platform) -> dict[str, float]:
    return {s: platform.process(s).memory_info().rss / 2**20 for s in SERVICES}


def high_water_mib(platform: Platform) -> dict[str, float]:
    """VmHWM: the kernel's own record of the peak RSS, between two samples too."""
    peaks = {}
    for service in SERVICES:
        status = Path(f"/proc/{platform.processes[service].pid}/status").read_text()
        kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
        peaks[service] = kib / 1024
    return peaks


def wait_drained(platform: Platform, timeout: float) -> bool:
    """Every consumer's queue empty, twice in a row. (Verification's relay:lag is no signal: it
    counts the events verification keeps but never publishes.)"""
    deadline, calm = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        platform.check_running()
        lags: list[int | str] = []
        for service in SERVICES:
            try:
                checks = platform.ready_checks(service)
            except httpx.TimeoutException:  # busy, not gone: the live timings tell how busy
                progress(f"{service}'s readiness check timed out; asking again")
                lags.append("?")  # not known to be drained
                continue
            lags.extend(entry.get("observedValue", 0) for entry in checks.get("consumer:lag", []))
        calm = calm + 1 if not any(lags) else 0
        if int(time.monotonic()) % 10 == 0:
            progress(f"queue lags {lags}")
        if calm >= 2:
            return True
        time.sleep(1.0)
    return False


def rebuild_analytics(platform: Platform, timeout: float) -> float:
    """POST /v1/analytics/rebuild and wait until it is no longer running; its seconds."""
    url = f"{platform.url('analytics')}/v1/analytics/rebuild"
    headers = bearer("admin", None)
    started = time.monotonic()
    httpx.post(url, headers=headers, timeout=30).raise_for_status()
    deadline = started + timeout
    while time.monotonic() < deadline:
        status = httpx.get(url, headers=headers, timeout=30).json()["status"] or {}
        if status.get("error"):
            raise RuntimeError(f"analytics rebuild failed: {status['error']}")
        if status.get("finished_at"):
            return time.monotonic() - started
        time.sleep(1.0)
    raise TimeoutError(f"analytics rebuild still running after {timeout:.0f} s")


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure(events: int = 1_000_000, rebuild: bool = True, timeout: float = 3600) -> list[Figure]:
    plan = batches(events)
    rts = all_rts()
    platform = Platform()
    load_before = os.getloadavg()
    sampler: RssSampler | None = None
    try:
        seeding = time.monotonic()
        asyncio.run(seed_stores(platform.data_dir, plan, rts))
        seeding = time.monotonic() - seeding
        progress(f"stores seeded in {seeding:.0f} s; starting the services")
        platform.start()
        time.sleep(2.0)  # past start-up work (declaring the topology, first job runs)
        idle = rss_mib(platform)
        sampler = consuming = RssSampler(platform)
        sampler.start()
        started = time.monotonic()
        published = asyncio.run(
            publish(platform.rabbitmq_url, platform.topology.exchange, plan, rts)
        )
        publish_seconds = time.monotonic() - started
        progress(f"{published:,} events published in {publish_seconds:.0f} s; consuming")
        drained = wait_drained(platform, timeout)
        consume_seconds = time.monotonic() - started
        peaks_consuming = sampler.stop()
        progress(f"drained: {drained}, after {consume_seconds:.0f} s")
        rebuild_seconds = float("nan")
        if rebuild:
            sampler = RssSampler(platform)
            sampler.start()
            rebuild_seconds = rebuild_analytics(platform, timeout)
            peaks_rebuilding = sampler.stop()
        high_water = high_water_mib(platform)
    except BaseException:
        if sampler is not None:
            sampler.stop()
        platform.close(keep_logs=True)
        raise
    platform.close()
    load_after = os.getloadavg()

    loads = f"load average {load_before[0]:.1f} → {load_after[0]:.1f}"
    figures = []
    for service in SERVICES:
        peak = max(peaks_consuming.get(service, 0.0), high_water[service])
        notes = (
            f"consuming peak {peaks_consuming.get(service, 0):.0f} MiB, "
            f"slowest /health/live {consuming.slowest_live[service]:.2f} s"
        )
        if rebuild and service == "analytics":
            notes += f", rebuilding from the log peak {peaks_rebuilding.get(service, 0):.0f} MiB"
        figures.append(
            Figure(
                f"peak RSS, {service}, {published:,} events in the log",
                "MiB",
                peak,
                baseline=idle[service],
                baseline_name="idle, just after start",
                higher_is_better=False,
                notes=notes,
            )
        )
    figures.append(
        Figure(
            f"publish and consume {published:,} events (every queue drained)",
            "s",
            consume_seconds,
            higher_is_better=False,
            notes=(
                f"{published / consume_seconds:,.0f} events/s; published in "
                f"{publish_seconds:.0f} s; {'drained' if drained else 'NOT drained'}; "
                f"stores seeded in {seeding:.0f} s; {loads}"
            ),
        )
    )
    if rebuild:
        figures.append(
            Figure(
                f"analytics rebuild from the log, {published:,} events",
                "s",
                rebuild_seconds,
                higher_is_better=False,
                notes=f"{published / rebuild_seconds:,.0f} events/s",
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--no-rebuild", action="store_true")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    clean_up_on_sigterm()
    print(table(measure(args.events, not args.no_rebuild, args.timeout)))


if __name__ == "__main__":
    main()
