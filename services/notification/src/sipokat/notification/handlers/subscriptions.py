"""Webhook subscriptions: made, listed, paused work resumed, deleted; and their delivery log."""

from __future__ import annotations

from typing import Any

from sipokat.events.envelope import new_event_id, utc_now
from sipokat.events.store import Document, ViewTransaction
from sipokat.notification.adapters import ledger as L
from sipokat.notification.adapters.webhooks import new_secret, resolve_safe
from sipokat.notification.handlers.context import NotificationContext


async def check_target(context: NotificationContext, url: str) -> None:
    """`UnsafeTarget` unless the URL is one deliveries may be posted to."""
    await resolve_safe(url, allow_private=context.settings.webhook_allow_private)


async def subscription(context: NotificationContext, subscription_id: str) -> Document | None:
    """A subscription that is not deleted."""
    found = await context.ledger.get(L.SUBSCRIPTIONS, subscription_id)
    return None if found is None or found["status"] == "deleted" else found


async def subscriptions(context: NotificationContext, owner: str | None) -> list[Document]:
    """The live subscriptions of `owner` (of everyone for None)."""
    where = None if owner is None else {"owner": owner}
    found = await context.ledger.find(L.SUBSCRIPTIONS, where)
    return [s for s in found if s["status"] != "deleted"]


async def subscribe(
    context: NotificationContext,
    owner: str,
    url: str,
    patterns: list[str],
    description: str | None,
) -> Document:
    """A new subscription, with its signing secret."""
    subscription_id = str(new_event_id())
    made = {
        "id": subscription_id,
        "owner": owner,
        "url": url,
        "patterns": patterns,
        "description": description,
        "secret": new_secret(),
        "status": "active",
        "created_at": utc_now().isoformat(),
        "consecutive_failures": 0,
        "paused_at": None,
        "paused_reason": None,
        "last_error": None,
        "last_success_at": None,
    }

    async def effect(tx: ViewTransaction) -> None:
        await L.put_subscription(tx, subscription_id, made)

    await context.ledger.write(effect)
    return made


async def unsubscribe(context: NotificationContext, subscription_id: str) -> None:
    """Stops the subscription; its pending deliveries are cancelled, its log is kept."""
    ledger = context.ledger

    async def effect(tx: ViewTransaction) -> None:
        current = await tx.get(L.SUBSCRIPTIONS, subscription_id)
        if current is not None:
            await L.put_subscription(tx, subscription_id, current | {"status": "deleted"})

    await ledger.write(effect)
    # Held deliveries go back to the outbox, where the worker cancels those of a deleted one.
    for entry in await ledger.find(L.HELD, {"subscription_id": subscription_id}):
        await ledger.move(entry["key"], L.HELD, L.OUTBOX)
    context.wake.set()


async def resume(context: NotificationContext, subscription_id: str) -> None:
    """Deliveries held while the subscription was paused are tried again at once."""
    ledger = context.ledger

    async def effect(tx: ViewTransaction) -> None:
        current = await tx.get(L.SUBSCRIPTIONS, subscription_id)
        if current is not None:
            await L.put_subscription(
                tx,
                subscription_id,
                current
                | {
                    "status": "active",
                    "consecutive_failures": 0,
                    "paused_at": None,
                    "paused_reason": None,
                },
            )

    await ledger.write(effect)
    now = utc_now().isoformat()
    for entry in await ledger.find(L.HELD, {"subscription_id": subscription_id}):
        await ledger.move(entry["key"], L.HELD, L.OUTBOX, due_at=now)
    context.wake.set()


async def delivery_log(
    context: NotificationContext, subscription_id: str, status: str | None, limit: int
) -> dict[str, Any]:
    """The delivery log, newest first, each delivery with its attempts."""
    ledger = context.ledger
    where: dict[str, Any] = {"subscription_id": subscription_id}
    if status is not None:
        where["status"] = status
    found = await ledger.find(L.DELIVERIES, where)
    found.sort(key=lambda d: (d["created_at"], d["key"]), reverse=True)
    attempts = await ledger.find(L.ATTEMPTS, {"subscription_id": subscription_id})
    by_delivery: dict[str, list[Document]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt["delivery_key"], []).append(attempt)
    items = [
        {k: v for k, v in d.items() if k != "body"} | {"attempt_log": by_delivery.get(d["key"], [])}
        for d in found[:limit]
    ]
    return {"subscription_id": subscription_id, "total": len(found), "items": items}
