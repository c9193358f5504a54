"""The SQLite event store beside the `eventsourcing` library's SQLite recorder (issue 8, 1e).

    uv run --group bench python bench/event_store.py [--appends 20000]

Both append the same events (ReportSubmitted envelopes, one event per append, as intake does)
into a fresh file, with the same durability (WAL, synchronous=NORMAL: eventsourcing's default
FULL is lowered to match). Two ways of calling, because a service calls both ways:

- one writer, one append after another;
- 32 concurrent writers, as 32 requests in flight: ours as asyncio tasks (the store's group
  commit shares transactions between them), eventsourcing's recorder — synchronous — from a
  pool of 32 threads, the way an async service would have to call it.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteConnectionPool, SQLiteDatastore
from figures import Figure, table

from sipokat.events.envelope import Envelope
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import make_submitted

WRITERS = 32


def _same_durability_as_ours(pool: SQLiteConnectionPool) -> None:
    create = pool._create_connection

    def create_with_normal_sync() -> Any:
        connection = create()
        connection._sqlite_conn.execute("PRAGMA synchronous=NORMAL")
        return connection

    pool._create_connection = create_with_normal_sync  # type: ignore[method-assign]


def peer_recorder(folder: str) -> SQLiteApplicationRecorder:
    datastore = SQLiteDatastore(str(Path(folder) / "peer.db"), pool_size=WRITERS)
    _same_durability_as_ours(datastore.pool)
    recorder = SQLiteApplicationRecorder(datastore)
    recorder.create_table()
    return recorder


def stored(event: Envelope) -> StoredEvent:
    return StoredEvent(
        originator_id=event.data.report_id,  # type: ignore[attr-defined]
        originator_version=event.stream_version,
        topic=event.type,
        state=event.to_json(),
    )


async def ours(events: list[Envelope], writers: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        db = await SqliteDatabase.open(Path(folder) / "ours.db")
        queue = iter(events)

        async def writer() -> None:
            for event in queue:
                await db.events.append([event])

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(writers)))
        elapsed = time.perf_counter() - started
        assert await db.events.last_position() == len(events)
        await db.close()
    return len(events) / elapsed


def peer(events: list[Envelope], writers: int) -> float:
    # Each append serialises its event, as ours does inside `append`: the same work both sides.
    with tempfile.TemporaryDirectory() as folder:
        recorder = peer_recorder(folder)
        started = time.perf_counter()
        if writers == 1:
            for event in events:
                recorder.insert_events([stored(event)])
        else:
            with ThreadPoolExecutor(max_workers=writers) as pool:
                list(pool.map(lambda e: recorder.insert_events([stored(e)]), events))
        elapsed = time.perf_counter() - started
        assert recorder.max_notification_id() == len(events)
        recorder.datastore.close()
    return len(events) / elapsed


def measure(appends: int = 20_000) -> list[Figure]:
    events = [make_submitted() for _ in range(appends)]
    figures = []
    for writers, label in ((1, "one writer"), (WRITERS, f"{WRITERS} concurrent writers")):
        mine = asyncio.run(ours(events, writers))
        theirs = peer(events, writers)
        figures.append(
            Figure(
                f"e. event store appends, SQLite, {label}",
                "appends/s",
                mine,
                baseline=theirs,
                baseline_name=f"eventsourcing {_version()} SQLiteApplicationRecorder",
                target=2.0,
            )
        )
    return figures


def _version() -> str:
    from importlib.metadata import version

    return version("eventsourcing")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=20_000)
    args = parser.parse_args()
    print(f"sqlite {sqlite3.sqlite_version}")
    print(table(measure(args.appends)))


if __name__ == "__main__":
    main()
