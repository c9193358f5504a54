"""p95 of the main queries over many reports (DESIGN §9: one million, target under 200 ms).

    uv run python services/analytics/bench/query_latency.py --reports 1000000

Folds generated ReportSubmitted events (every RT of both cities, twelve months) and a
ReportVerified for 40% of them straight into a SQLite store with the rebuild's batch fold, then
times each read model 50 times for the city, a kecamatan and a kelurahan and prints p50/p95.
Query cost follows the counter documents (areas x months), not the number of reports.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from sipokat.analytics.domain.areas import Area, Period
from sipokat.analytics.handlers import project_batch
from sipokat.analytics.queries import Reader
from sipokat.events.catalogue import (
    Bidang,
    ReportContent,
    ReportKind,
    ReportSubmitted,
    ReportVerified,
    Tier,
)
from sipokat.events.envelope import Actor, Envelope, Role, new_event_id
from sipokat.events.store.base import ViewTransaction
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.wilayah import load_default_directory

START = datetime(2026, 1, 1, tzinfo=UTC)


def events(rng: random.Random, rts: list, count: int) -> list[Envelope]:
    batch = []
    actor = Actor(subject="bench", role=Role.KETUA_RT)
    for _ in range(count):
        path = rng.choice(rts)
        rid = UUID(int=rng.getrandbits(128), version=4)
        at = START + timedelta(days=rng.uniform(0, 360))
        content = ReportContent(
            kind=ReportKind.KEGIATAN,
            bidang=rng.choice(list(Bidang)),
            title="Kerja bakti",
            description="x",
            # Done up to 40 days before the upload, as the tests' generator has it.
            activity_date=(at - timedelta(days=rng.uniform(0, 40))).date(),
        )
        data = ReportSubmitted(report_id=rid, wilayah=path, content=content)
        batch.append(
            Envelope.wrap(
                data, stream_version=1, source="bench", actor=actor, correlation_id="bench"
            ).model_copy(update={"occurred_at": at})
        )
        if rng.random() < 0.4:
            verified = ReportVerified(
                report_id=rid,
                wilayah=path,
                final_tier=Tier.KOTA,
                counts_for_performance=True,
                verified_at=at + timedelta(days=2),
                content=content,
            )
            batch.append(
                Envelope.wrap(
                    verified, stream_version=2, source="bench", actor=actor, correlation_id="bench"
                )
            )
    return batch


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    args = parser.parse_args()
    directory = load_default_directory()
    rts = [
        directory.rt_path(rt)
        for c in directory.cities
        for k in c.kecamatan
        for kel in k.kelurahan
        for rt in kel.rt_codes()
    ]
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        db = await SqliteDatabase.open(Path(tmp) / "analytics.db")
        started, folded = time.perf_counter(), 0
        for _ in range(0, args.reports, 2000):
            batch = events(rng, rts, 2000)

            async def effect(tx: ViewTransaction, batch: list[Envelope] = batch) -> None:
                await project_batch(batch, tx)

            await db.views.apply_once(new_event_id(), effect)
            folded += len(batch)
        seconds = time.perf_counter() - started
        print(
            f"folded {folded} events ({args.reports} reports) in {seconds:.0f}s "
            f"= {folded / seconds:,.0f} events/s"
        )
        reader = Reader(db.views, directory, 50_000_000)
        for area in (
            Area("kota", "16.73"),
            Area("kecamatan", "35.71.01"),
            Area("kelurahan", "16.73.02.1019"),
        ):
            for name in (
                "summary",
                "active_rts",
                "verification",
                "rt_performance",
                "funds",
                "timeseries",
            ):
                times = []
                for _ in range(50):
                    t = time.perf_counter()
                    await getattr(reader, name)(area, Period("2026-01", "2026-06"))
                    times.append((time.perf_counter() - t) * 1000)
                p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
                print(f"{area.level:10} {name:15} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
            t = time.perf_counter()
            await reader.ranking("kelurahan", area, Period())
            print(
                f"{area.level:10} ranking         once {(time.perf_counter() - t) * 1000:7.1f} ms"
            )
        print(f"peak rss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
