"""The views' writer: each event folded into the inbox items and where its report waits.

`VIEW` is what the shared log rebuild (`sipokat.events.logrebuild`) needs: the views are dropped
and refolded from the event log, the ledger (deliveries, read marks) is not touched, and nothing
is planned or pushed for a replayed event. It records every replayed event as applied, so the
live consumer takes one the replay applied as a duplicate and pushes nothing for it either.
"""

from __future__ import annotations

from collections.abc import Sequence

from sipokat.events.envelope import Envelope
from sipokat.events.logrebuild import LogView
from sipokat.events.store.base import ViewTransaction
from sipokat.notification.domain import waiting_after
from sipokat.notification.queries import FOLD_VERSION, INBOX, META, WAITING, inbox_items


async def project(envelope: Envelope, tx: ViewTransaction) -> None:
    report_id = getattr(envelope.data, "report_id", None)
    current = await tx.get(WAITING, str(report_id)) if report_id is not None else None
    # A decision's event carries no content: its items name the report by the title kept.
    for item in inbox_items(envelope, (current or {}).get("title")):
        await tx.put(INBOX, item["key"], item)
    if report_id is None:
        return
    folded = waiting_after(current, envelope)
    if folded is not None:
        await tx.put(WAITING, str(report_id), folded)


async def project_batch(envelopes: Sequence[Envelope], tx: ViewTransaction) -> int:
    for envelope in envelopes:
        await project(envelope, tx)
    return len(envelopes)


VIEW = LogView("notification", project_batch, META, FOLD_VERSION, record_events=True)
