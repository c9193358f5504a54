"""Worklist queries: the reports waiting for one tier in one area, oldest due first."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sipokat.events.catalogue import Bidang, ReportKind
from sipokat.events.store.base import Document, ViewStore
from sipokat.verification.views import QUEUE

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
