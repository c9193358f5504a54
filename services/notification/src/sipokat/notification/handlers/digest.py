"""The daily digest per verifier office: what waits for it and what is overdue.

Each digest is written once per (office, day): the inbox copy under the ledger operation
`digest-<day>|<office>|inbox`, the email as delivery `digest-<day>|<office>|email`. Running the
digest again the same day (a restart, an admin's request) sends nothing new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from sipokat.events.envelope import utc_now
from sipokat.events.store import Document, ViewTransaction
from sipokat.notification.adapters import ledger as L
from sipokat.notification.adapters.ledger import Ledger
from sipokat.notification.domain import Digest, digest_day, digest_text, digests
from sipokat.notification.handlers.context import NotificationContext
from sipokat.notification.handlers.planning import email_delivery
from sipokat.notification.queries import delivery_key, waiting
from sipokat.notification.settings import NotificationSettings

log = structlog.get_logger(__name__)

_LISTED = 50  # reports named in one digest; the counts always cover all of them


def digest_item(digest: Digest, now: datetime) -> Document:
    waiting, overdue = len(digest.waiting), len(digest.overdue)
    return {
        "key": delivery_key(digest.name, digest.recipient, "inbox"),
        "recipient": digest.recipient,
        "kind": "digest",
        "event_id": None,
        "event_type": None,
        "report_id": None,
        "day": digest.day.isoformat(),
        "waiting": waiting,
        "overdue": overdue,
        "overdue_report_ids": [i["report_id"] for i in digest.overdue[:_LISTED]],
        "message": digest_text(digest.day.isoformat(), waiting, overdue).render("id"),
        "created_at": now.isoformat(),
    }


def _listed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: i.get(k) for k in ("report_id", "rt_code", "kelurahan", "title", "tier", "due_at")}
        for i in items[:_LISTED]
    ]


async def send_digests(context: NotificationContext, now: datetime | None = None) -> list[Document]:
    """Write today's digest (WIB) of every verifier office with something waiting; returns the
    digests as inbox items, `new` telling whether this call created them."""
    now = now or utc_now()
    ledger, settings, hub = context.ledger, context.settings, context.hub
    written = []
    for digest in digests(await waiting(context.database.views), digest_day(now), now):
        item = digest_item(digest, now)

        async def effect(tx: ViewTransaction, item: Document = item) -> None:
            await tx.put(L.DIGESTS, item["key"], item)

        new = await ledger.write(effect, once=item["key"])
        if new:
            hub.publish(digest.recipient, item | {"read": False})
            await _email(digest, ledger, settings, now)
        written.append((await ledger.get(L.DIGESTS, item["key"]) or item) | {"new": new})
    context.wake.set()
    log.info("digest.sent", day=str(digest_day(now)), offices=len(written))
    return written


async def _email(
    digest: Digest, ledger: Ledger, settings: NotificationSettings, now: datetime
) -> None:
    if not settings.smtp_enabled:
        return
    preferences = await ledger.get(L.PREFERENCES, digest.recipient)
    if not preferences or not preferences.get("email"):
        return
    context = {
        "office": digest.recipient,
        "day": digest.day.isoformat(),
        "waiting": _listed(digest.waiting),
        "overdue": _listed(digest.overdue),
        "waiting_total": len(digest.waiting),
        "overdue_total": len(digest.overdue),
    }
    await ledger.enqueue(
        email_delivery(digest.name, digest.recipient, preferences, "digest", context, now)
    )
