"""The read side: what verification's views hold and how they are read.

Four views, all folded from the report's stream in verification's event store and written by
`handlers` (never patched by hand): a status document per report (with its timeline), the
worklists, one entry per report waiting for a tier, keyed so that keys sort by due time, the
report list (`reportlist`) and each verifier's decisions (`decisionlist`), both kept month by
month (`partitions`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sipokat.events.catalogue import (
    Bidang,
    ReportApproved,
    ReportKind,
    ReportRejected,
    ReportRevised,
    ReportSubmitted,
)
from sipokat.events.envelope import Envelope
from sipokat.events.foldversion import FoldedViews
from sipokat.events.store.base import Document, Stores, StreamStore, ViewStore
from sipokat.runtime.media import MediaSigner
from sipokat.verification.domain import TIER_ROLE, Policy, Report, area_of, fold
from sipokat.verification.queries.partitions import BadCursor

REPORTS = "reports"
QUEUE = "queue"
META = "verification_meta"  # the fold version
# The version of this fold (`sipokat.events.foldversion`): bump it with any change to what the
# documents hold, and every deployment's views are rebuilt when it starts.
# 2: the status document carries the report's summary and content; the report list.
# 3: the list month by month (by submission and by activity), a verifier's decisions, worklist
#    entries with the report's content and photos, summaries with the wilayah path.
# 4: list entries say what happened to the report at which tier in which month (`event`).
FOLD_VERSION = 4
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


def last_decision(events: list[Envelope]) -> Document | None:
    """The latest decision since the report was last submitted or revised."""
    decision: Document | None = None
    for envelope in events:
        data = envelope.data
        if isinstance(data, ReportSubmitted | ReportRevised):
            decision = None
        elif isinstance(data, ReportApproved | ReportRejected):
            rejected = isinstance(data, ReportRejected)
            decision = {
                "decision": "reject" if rejected else "approve",
                "reason_code": str(data.reason_code) if isinstance(data, ReportRejected) else None,
                "note": data.note or None,
                "tier": str(data.tier),
                "decided_at": data.decided_at.isoformat(),
            }
    return decision


def summary(state: Report, events: list[Envelope]) -> Document:
    """What a client lists a report by (`sipokat.events.reportviews.ReportSummary`), photos
    without their links: those are signed when read."""
    content = state.content
    return {
        "report_id": str(state.report_id),
        "kind": str(content.kind),
        "bidang": str(content.bidang),
        "title": content.title,
        "activity_date": content.activity_date.isoformat(),
        "submitted_at": events[0].occurred_at.isoformat(),
        "status": str(state.status),
        "waiting_for": str(TIER_ROLE[state.tier]) if state.tier else None,
        "last_decision": last_decision(events[: state.version]),
        "counts_for_performance": state.counts_for_performance,
        "revision": state.round - 1,
        "photos": [{"sha256": photo.sha256} for photo in content.photos],
        "wilayah": state.wilayah.model_dump(),
    }


def status_document(state: Report, events: list[Envelope]) -> Document:
    submitted = events[0]
    content = state.content.model_dump(mode="json")
    return {
        **summary(state, events),
        "description": content["description"],
        "location": content["location"],
        "fund": content["fund"],
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
    where = state.wilayah
    dumped = content.model_dump(mode="json")
    return f"{sortable(state.due_at)}|{state.report_id}", {
        "report_id": str(state.report_id),
        "scope": queue_scope(state.tier, area_of(state.tier, where)),
        "tier": str(state.tier),
        "kind": str(content.kind),
        "bidang": str(content.bidang),
        "title": content.title,
        "description": content.description,
        "activity_date": content.activity_date.isoformat(),
        "location": dumped["location"],
        "fund": dumped["fund"],
        "photos": [{"sha256": photo.sha256} for photo in content.photos],
        "rt_code": where.rt_code,
        "rt_name": f"RT {where.rt_code.rsplit('/', 1)[-1]}",
        "kelurahan_name": where.kelurahan_name,
        "wilayah": where.model_dump(),
        "kelurahan": where.kelurahan_code,
        "rt": where.rt_code,
        "submitted_at": events[0].occurred_at.isoformat(),
        "round": state.round,
        "revision": state.round - 1,
        "version": state.version,
        "waiting_since": opened.occurred_at.isoformat(),
        "due_at": state.due_at.isoformat(),
        "due_key": sortable(state.due_at),
        "overdue": state.overdue,
        "last_decision": last_decision(events[: state.version]),
        "counts_for_performance": state.counts_for_performance,
    }


async def folded_status(
    database: Stores[StreamStore], stream_id: str, policy: Policy
) -> Document | None:
    """A report's status document folded from its stream now, without writing it: the answer
    to a decision whose view could not be written."""
    events = await database.events.read_stream(stream_id)
    state = fold(events, policy)
    return status_document(state, events) if state is not None else None


def with_links(doc: Document, signer: MediaSigner, now: float, seconds: int) -> Document:
    """The document with a signed link beside each photo, for a caller who may see it."""
    photos = [
        {"sha256": p["sha256"], "url": signer.url(p["sha256"], now, seconds)}
        for p in doc.get("photos", [])
    ]
    return {**doc, "photos": photos}


# What the status document keeps for the views' writer alone.
_STATUS_HIDDEN = ("queue_key", "list_entries")


def public_status(doc: Document) -> dict[str, Any]:
    return {name: value for name, value in doc.items() if name not in _STATUS_HIDDEN}


# Worklist queries: the reports waiting for one tier in one area, oldest due first.

# The view store filters by equality and orders by key but cannot start after a key, so a page
# is cut from the first SCAN_LIMIT matching entries (see docs/verification.md).
SCAN_LIMIT = 5000
_HIDDEN = ("scope", "due_key", "kelurahan", "rt")


@dataclass(frozen=True)
class QueueFilter:
    kind: ReportKind | None = None
    bidang: Bidang | None = None
    overdue: bool | None = None
    kelurahan: str | None = None
    rt: str | None = None

    def where(self, scope: str) -> dict[str, Any]:
        where: dict[str, Any] = {"scope": scope}
        if self.kelurahan is not None:
            where["kelurahan"] = self.kelurahan
        if self.rt is not None:
            where["rt"] = self.rt
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
            "matching_overdue": 0
            if filters.overdue is False
            else await views.count(QUEUE, {**where, "overdue": True}),
        },
        "next_cursor": encode_cursor(page[-1]) if len(entries) > limit else None,
    }
