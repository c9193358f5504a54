"""An office's inbox: the items folded from events beside the digests, what it has read, and
where its email goes."""

from __future__ import annotations

from sipokat.events.logrebuild import RUNNING, current_rebuild
from sipokat.events.store import Document, ViewTransaction
from sipokat.notification.adapters import ledger as L
from sipokat.notification.handlers.context import NotificationContext
from sipokat.notification.handlers.fold import VIEW
from sipokat.notification.queries import MAX_INBOX, inbox_event, inbox_events


async def rebuilding(context: NotificationContext) -> bool:
    """Whether the views are being refolded, here or by another replica: a half-replayed inbox
    would show wrong unread counts."""
    status = await current_rebuild(context.database.views, VIEW, context.views_rebuild)
    return status is not None and status["state"] == RUNNING


async def inbox(context: NotificationContext, owner: str) -> list[Document]:
    """Inbox items of an office, newest first, each with `read`."""
    events = await inbox_events(context.database.views, owner)
    ledger = context.ledger
    digests = await ledger.find(L.DIGESTS, {"recipient": owner}, limit=MAX_INBOX)
    reads = {r["key"] for r in await ledger.find(L.READS, {"recipient": owner}, limit=MAX_INBOX)}
    items = [item | {"id": item["key"], "read": item["key"] in reads} for item in events + digests]
    items.sort(key=lambda item: (item["created_at"], item["key"]), reverse=True)
    return items


async def inbox_item(context: NotificationContext, key: str) -> Document | None:
    """An item of any inbox, from an event or a digest."""
    found = await inbox_event(context.database.views, key)
    return found or await context.ledger.get(L.DIGESTS, key)


async def mark_read(context: NotificationContext, owner: str, keys: list[str]) -> None:
    async def effect(tx: ViewTransaction) -> None:
        for key in keys:
            await tx.put(L.READS, key, {"key": key, "recipient": owner})

    if keys:
        await context.ledger.write(effect)


async def preferences(context: NotificationContext, owner: str) -> Document:
    """Where the office's email goes and in which language; empty when never set."""
    stored = await context.ledger.get(L.PREFERENCES, owner)
    return {k: v for k, v in (stored or {}).items() if k != "recipient"}


async def save_preferences(context: NotificationContext, owner: str, chosen: Document) -> None:
    async def effect(tx: ViewTransaction) -> None:
        await tx.put(L.PREFERENCES, owner, chosen | {"recipient": owner})

    await context.ledger.write(effect)
