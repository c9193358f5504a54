"""The rebuildable views: inbox items and where each report waits, folded from events.

An inbox item's key is `<event_id>|<recipient>|inbox`, the (event, recipient, channel) of the
delivery, so a redelivery or a replay writes the same item again, never a second one.

`VIEW` is what the shared log rebuild (`sipokat.events.logrebuild`) needs: the views are dropped
and refolded from the event log, the ledger (deliveries, read marks) is not touched, and nothing
is planned or pushed for a replayed event. It records every replayed event as applied, so the
live consumer takes one the replay applied as a duplicate and pushes nothing for it either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sipokat.events.envelope import Envelope
from sipokat.events.logrebuild import LogView
from sipokat.events.store.base import ViewTransaction
from sipokat.notification.domain import facts, inbox_message, notices, waiting_after

INBOX = "inbox"
WAITING = "waiting"  # report id → the tier and office it waits at (for the daily digest)
META = "notification_meta"  # the rebuild's marker and the fold version
# The version of this fold (`sipokat.events.foldversion`): bump it with any change to what the
# fold writes (inbox items, waiting), and every deployment's views are rebuilt when it starts.
FOLD_VERSION = 1


def delivery_key(event_id: str, recipient: str, channel: str) -> str:
    return f"{event_id}|{recipient}|{channel}"


def inbox_items(envelope: Envelope) -> list[dict[str, Any]]:
    if not notices(envelope.data):
        return []
    found = facts(envelope)
    return [
        {
            "key": delivery_key(str(envelope.event_id), notice.recipient, "inbox"),
            "recipient": notice.recipient,
            "kind": str(notice.kind),
            "event_id": str(envelope.event_id),
            "event_type": envelope.type,
            "report_id": found["report_id"],
            "message": inbox_message(notice.kind, found),
            "created_at": envelope.occurred_at.isoformat(),
        }
        for notice in notices(envelope.data)
    ]


async def project(envelope: Envelope, tx: ViewTransaction) -> None:
    for item in inbox_items(envelope):
        await tx.put(INBOX, item["key"], item)
    report_id = getattr(envelope.data, "report_id", None)
    if report_id is None:
        return
    current = await tx.get(WAITING, str(report_id))
    folded = waiting_after(current, envelope)
    if folded is not None:
        await tx.put(WAITING, str(report_id), folded)


async def project_batch(envelopes: Sequence[Envelope], tx: ViewTransaction) -> int:
    for envelope in envelopes:
        await project(envelope, tx)
    return len(envelopes)


VIEW = LogView("notification", project_batch, META, FOLD_VERSION, record_events=True)
