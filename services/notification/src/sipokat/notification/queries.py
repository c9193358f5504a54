"""The read side: what the rebuildable views hold (inbox items, where each report waits), their
fold version, and the reads of them.

An inbox item's key is `<event_id>|<recipient>|inbox`, the (event, recipient, channel) of the
delivery, so a redelivery or a replay writes the same item again, never a second one. The views
are written by `handlers.fold`.
"""

from __future__ import annotations

from typing import Any

from sipokat.events.envelope import Envelope
from sipokat.events.store import Document, ViewStore
from sipokat.notification.domain import INBOX_FACTS, facts, inbox_message, notices

INBOX = "inbox"
WAITING = "waiting"  # report id → the tier and office it waits at (for the daily digest)
META = "notification_meta"  # the rebuild's marker and the fold version
# The version of this fold (`sipokat.events.foldversion`): bump it with any change to what the
# fold writes (inbox items, waiting), and every deployment's views are rebuilt when it starts.
FOLD_VERSION = 2  # 2: items keep their `facts`, said in the reader's language

MAX_INBOX = 100_000  # items read per request to sort and count; see docs/notification.md


def delivery_key(event_id: str, recipient: str, channel: str) -> str:
    return f"{event_id}|{recipient}|{channel}"


def inbox_items(envelope: Envelope, title: str | None = None) -> list[dict[str, Any]]:
    """The event's items, one per office that hears of it; `title` names the report when the
    event carries no content (a decision, a missed deadline)."""
    if not notices(envelope.data):
        return []
    found = facts(envelope)
    found["title"] = found["title"] or title
    return [
        {
            "key": delivery_key(str(envelope.event_id), notice.recipient, "inbox"),
            "recipient": notice.recipient,
            "kind": str(notice.kind),
            "event_id": str(envelope.event_id),
            "event_type": envelope.type,
            "report_id": found["report_id"],
            "message": inbox_message(notice.kind, found),
            "facts": {name: found.get(name) for name in INBOX_FACTS},
            "created_at": envelope.occurred_at.isoformat(),
        }
        for notice in notices(envelope.data)
    ]


def live_item(stored: Document, envelope: Envelope) -> dict[str, Any]:
    """An item as an open app's stream gets it: unread, with the report named as people name it
    (its title, the RT and kelurahan), so the app can list it without reading the report. Taken
    from the event at hand, so the inbox's stored items (and the fold) stay as they are."""
    found = facts(envelope)
    rt_code = found["rt_code"]
    return stored | {
        "read": False,
        "report": {
            "title": (stored.get("facts") or {}).get("title") or found["title"],
            "rt_code": rt_code,
            "rt_number": rt_code.rsplit("/", 1)[-1],
            "kelurahan_name": found["kelurahan"],
            "kecamatan_name": found["kecamatan"],
        },
    }


async def inbox_events(views: ViewStore, owner: str) -> list[Document]:
    """The inbox items folded from events for an office (the digests are in the ledger)."""
    return await views.find(INBOX, {"recipient": owner}, limit=MAX_INBOX)


async def inbox_event(views: ViewStore, key: str) -> Document | None:
    return await views.get(INBOX, key)


async def waiting(views: ViewStore) -> list[Document]:
    """Every report waiting at some office (the digest's input)."""
    return await views.find(WAITING, {"waiting": True}, limit=1_000_000)
