"""Events no reader can apply, built by hand as they may lie in a log or a store already.

The catalogue refuses them today (or will: its bounds only tighten), so they are made as JSON
bodies, never through the models, and put straight into a store (`store_raw`) or published as
they are. `oversized_progres_dana` is the issue's report (Rp 10^30, more than a 64-bit integer
holds); `unknown_type` names an event type no code knows.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

from sipokat.events.catalogue import ReportKind
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing.builders import make_content, make_submitted


def oversized_progres_dana(report_id: UUID | None = None, **changes: Any) -> bytes:
    """A ReportSubmitted of fund progress whose amount is Rp 10^30."""
    envelope = make_submitted(report_id, content=make_content(ReportKind.PROGRES_DANA))
    body = json.loads(envelope.model_copy(update=changes).to_json())
    body["data"]["content"]["fund"]["amount_rupiah"] = 10**30
    return json.dumps(body).encode()


def unknown_type(report_id: UUID | None = None) -> bytes:
    body = json.loads(make_submitted(report_id).to_json())
    body["type"] = "ReportExploded"
    body["event_id"] = str(uuid4())
    return json.dumps(body).encode()


async def store_raw(
    database: SqliteDatabase, body: bytes, routing_key: str = "report.submitted"
) -> None:
    """Insert a body into a SQLite event store as it is, at its stream's next version, as
    another service's event (not published again)."""
    found = json.loads(body)

    def insert(conn: Any) -> None:
        conn.execute(
            "INSERT INTO events (event_id, stream_id, stream_version, type, routing_key, body, "
            "publish) VALUES (?, ?, ?, ?, ?, ?, 0)",
            (
                found["event_id"],
                found["stream_id"],
                found["stream_version"],
                found["type"],
                routing_key,
                body,
            ),
        )

    await database.writer.transaction(insert)
