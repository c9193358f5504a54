"""Inboxes: one item per (event, recipient, channel), so a replay never notifies twice."""

from __future__ import annotations

from sipokat.events.envelope import Envelope
from sipokat.events.store.base import ViewTransaction
from sipokat.notification.domain import message, recipients

INBOX = "inbox"
CHANNEL = "inbox"


def delivery_key(envelope: Envelope, recipient: str, channel: str = CHANNEL) -> str:
    return f"{envelope.event_id}|{recipient}|{channel}"


async def project(envelope: Envelope, tx: ViewTransaction) -> None:
    for recipient in recipients(envelope.data):
        key = delivery_key(envelope, recipient)
        if await tx.get(INBOX, key) is not None:
            continue
        await tx.put(
            INBOX,
            key,
            {
                "key": key,
                "recipient": recipient,
                "event_id": str(envelope.event_id),
                "event_type": envelope.type,
                "report_id": str(getattr(envelope.data, "report_id", "")),
                "message": message(envelope.data),
                "created_at": envelope.occurred_at.isoformat(),
                "read": False,
            },
        )
