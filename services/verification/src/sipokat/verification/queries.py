"""The read side: what verification's views hold and how they are read.

Two views, both folded from the report's stream in verification's event store and written by
`handlers` (never patched by hand): a status document per report (with its timeline) and the
worklists, one entry per report waiting for a tier, keyed so that keys sort by due time.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sipokat.events.catalogue import Bidang, ReportKind, ReportRevised, ReportSubmitted
from sipokat.events.envelope import Envelope
from sipokat.events.foldversion import FoldedViews
from sipokat.events.store.base import Document, Stores, StreamStore, ViewStore
from sipokat.verification.domain import Policy, Report, area_of, fold

REPORTS = "reports"
QUEUE = "queue"
META = "verification_meta"  # the fold version
# The version of this fold (`sipokat.events.foldversion`): bump it with any change to what the
# documents hold, and every deployment's views are rebuilt when it starts.
FOLD_VERSION = 1
FOLDED = FoldedViews("verification", META, FOLD_VERSION)


def sortable(moment: datetime) -> str:
    """A UTC timestamp whose text sorts in time order: view keys are ordered as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def queue_scope(tier: str, area: str) -> str:
    return f"{tier}:{area}"


def timeline_entry(envelope: Envelope) -> Document:
    data = envelope.data
    entry: Document = {
        "version": envelope.stream_version,
        "event": envelope.type,
        "at": envelope.occurred_at.isoformat(),
        "by": envelope.actor.model_dump(mode="json"),
    }
    entry.update(data.model_dump(mode="json", exclude={"report_id", "wilayah", "content"}))
    if isinstance(data, ReportSubmitted | ReportRevised):
        entry["title"] = data.content.title
    return entry


def status_document(state: Report, events: list[Envelope]) -> Document:
    submitted = events[0]
    return {
        "report_id": str(state.report_id),
        "status": str(state.status),
        "tier": state.tier,
        "round": state.round,
        "version": state.version,
        "due_at": state.due_at.isoformat() if state.due_at else None,
        "overdue": state.overdue,
        "counts_for_performance": state.counts_for_performance,
        "wilayah": state.wilayah.model_dump(),
        "content": state.content.model_dump(mode="json"),
        "submitted_by": submitted.actor.subject,
        "submitted_at": submitted.occurred_at.isoformat(),
        "timeline": [timeline_entry(e) for e in events[: state.version]],
    }


def queue_entry(state: Report, events: list[Envelope]) -> tuple[str, Document] | None:
    """The worklist entry of a report waiting for a tier, keyed so that keys sort by due time."""
    if state.tier is None or state.due_at is None:
        return None
    opened = next(e for e in events if e.event_id == state.opened_by)
    content = state.content
    return f"{sortable(state.due_at)}|{state.report_id}", {
        "report_id": str(state.report_id),
        "scope": queue_scope(state.tier, area_of(state.tier, state.wilayah)),
        "tier": str(state.tier),
        "kind": str(content.kind),
        "bidang": str(content.bidang),
        "title": content.title,
        "rt_code": state.wilayah.rt_code,
        "kelurahan_name": state.wilayah.kelurahan_name,
        "round": state.round,
        "version": state.version,
        "waiting_since": opened.occurred_at.isoformat(),
        "due_at": state.due_at.isoformat(),
        "due_key": sortable(state.due_at),
        "overdue": state.overdue,
    }


async def folded_status(
    database: Stores[StreamStore], stream_id: str, policy: Policy
) -> Document | None:
    """A report's status document folded from its stream now, without writing it: the answer
    to a decision whose view could not be written."""
    events = await database.events.read_stream(stream_id)
    state = fold(events, policy)
    return status_document(state, events) if state is not None else None


def public_status(doc: Document) -> dict[str, Any]:
    return {name: value for name, value in doc.items() if name != "queue_key"}


# Worklist queries: the reports waiting for one tier in one area, oldest due first.

# The view store filters by equality and orders by key but cannot start after a key, so a page
# is cut from the first SCAN_LIMIT matching entries (see docs/verification.md).
SCAN_LIMIT = 5000
_HIDDEN = ("scope", "due_key")


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class QueueFilter:
    kind: ReportKind | None = None
    bidang: Bidang | None = None
    overdue: bool | None = None

    def where(self, scope: str) -> dict[str, Any]:
        where: dict[str, Any] = {"scope": scope}
        if self.kind is not None:
            where["kind"] = str(self.kind)
        if self.bidang is not None:
            where["bidang"] = str(self.bidang)
        if self.overdue is not None:
            where["overdue"] = self.overdue
        return where


def _key(entry: Document) -> str:
    return f"{entry['due_key']}|{entry['report_id']}"


def encode_cursor(entry: Document) -> str:
    return base64.urlsafe_b64encode(_key(entry).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    # ValueError also covers a cursor with non-ASCII characters, which base64 refuses before
    # decoding anything (binascii.Error and UnicodeDecodeError are ValueErrors too).
    except ValueError as exc:
        raise BadCursor("not a cursor this service made") from exc
    if key.count("|") != 1:
        raise BadCursor("not a cursor this service made")
    return key


async def queue_page(
    views: ViewStore, scope: str, filters: QueueFilter, *, cursor: str | None, limit: int
) -> dict[str, Any]:
    after = decode_cursor(cursor) if cursor else ""
    where = filters.where(scope)
    entries = [e for e in await views.find(QUEUE, where, limit=SCAN_LIMIT) if _key(e) > after]
    page = entries[:limit]
    return {
        "items": [{k: v for k, v in e.items() if k not in _HIDDEN} for e in page],
        "counts": {
            "total": await views.count(QUEUE, {"scope": scope}),
            "overdue": await views.count(QUEUE, {"scope": scope, "overdue": True}),
            "matching": await views.count(QUEUE, where),
        },
        "next_cursor": encode_cursor(page[-1]) if len(entries) > limit else None,
    }
