"""What each event does: fold it into the views, then plan its email and webhook deliveries.

The plan runs after every delivery of an event, not only the first: a crash between the view
update and the plan leaves the message unacknowledged, and its redelivery finishes the plan.
Planning is idempotent per (event, recipient, channel), so running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sipokat.events.envelope import Envelope, utc_now
from sipokat.events.foldversion import BackgroundRebuild
from sipokat.events.logrebuild import apply_live
from sipokat.events.store import Document, ViewStore
from sipokat.notification.adapters import ledger as L
from sipokat.notification.adapters.ledger import Ledger
from sipokat.notification.adapters.live import Hub
from sipokat.notification.domain import Notice, facts, notices, topic_matches
from sipokat.notification.handlers.context import NotificationContext
from sipokat.notification.handlers.fold import VIEW
from sipokat.notification.queries import delivery_key, inbox_event, inbox_items, live_item
from sipokat.notification.settings import NotificationSettings


def _each_once(envelopes: Sequence[Envelope]) -> list[Envelope]:
    return list({e.event_id: e for e in envelopes}.values())


class Notifier:
    def __init__(
        self,
        views: ViewStore,
        ledger: Ledger,
        settings: NotificationSettings,
        hub: Hub,
        on_planned: Callable[[], None] | None = None,
        rebuild: BackgroundRebuild | None = None,
    ) -> None:
        self.views = views
        self.rebuild = rebuild
        self.ledger = ledger
        self.settings = settings
        self.hub = hub
        self._on_planned = on_planned

    async def handle(self, envelope: Envelope) -> None:
        await self.handle_many([envelope])

    async def handle_many(self, envelopes: Sequence[Envelope]) -> None:
        """Fold the events into the views in one transaction, each once (waiting while a
        rebuild runs); then plan each event's deliveries and push its new inbox items to live
        listeners."""
        applied: frozenset[UUID] = await apply_live(self.views, VIEW, envelopes, here=self.rebuild)
        planned = 0
        for envelope in _each_once(envelopes):
            planned += await self.plan(envelope)
            if envelope.event_id in applied:
                for item in inbox_items(envelope):
                    # As folded, with the title the view knew for a decision's event.
                    stored = await inbox_event(self.views, item["key"]) or item
                    self.hub.publish(item["recipient"], live_item(stored, envelope))
        if planned and self._on_planned is not None:
            self._on_planned()

    async def plan(self, envelope: Envelope, now: datetime | None = None) -> int:
        """Enqueue the email and webhook deliveries of an event; returns how many were new."""
        now = now or utc_now()
        if now - envelope.occurred_at > timedelta(hours=self.settings.delivery_max_age_hours):
            return 0
        new = 0
        if self.settings.smtp_enabled:
            for notice in notices(envelope.data):
                delivery = await self._email_for(envelope, notice, now)
                if delivery is not None and await self.ledger.enqueue(delivery):
                    new += 1
        for subscription in await self.ledger.subscriptions():
            if not wants(subscription, envelope):
                continue
            delivery = webhook_delivery(envelope, subscription, now)
            if await self.ledger.enqueue(delivery, held=subscription["status"] == "paused"):
                new += 1
        return new

    async def _email_for(
        self, envelope: Envelope, notice: Notice, now: datetime
    ) -> Document | None:
        preferences = await self.ledger.get(L.PREFERENCES, notice.recipient)
        if not preferences or not preferences.get("email"):
            return None
        context = facts(envelope) | {"kind": str(notice.kind), "office": notice.recipient}
        return email_delivery(
            str(envelope.event_id), notice.recipient, preferences, "notice", context, now
        ) | {"event_type": envelope.type, "routing_key": envelope.routing_key}


def notifier(context: NotificationContext) -> Notifier:
    """The consumer's handler: a new delivery wakes the worker."""
    return Notifier(
        context.database.views,
        context.ledger,
        context.settings,
        context.hub,
        on_planned=context.wake.set,
        rebuild=context.views_rebuild,
    )


def wants(subscription: Document, envelope: Envelope) -> bool:
    """A live subscription gets the events it matches that happened after it was made, so a
    replay of old events into a new subscription does not flood it with history."""
    if subscription["status"] == "deleted":
        return False
    if datetime.fromisoformat(subscription["created_at"]) > envelope.occurred_at:
        return False
    return any(topic_matches(p, envelope.routing_key) for p in subscription["patterns"])


def _delivery(key: str, channel: str, recipient: str, now: datetime) -> Document:
    return {
        "key": key,
        "channel": channel,
        "recipient": recipient,
        "status": "pending",
        "attempts": 0,
        "created_at": now.isoformat(),
        "last_attempt_at": None,
        "delivered_at": None,
        "last_error": None,
    }


def webhook_delivery(envelope: Envelope, subscription: Document, now: datetime) -> Document:
    recipient = f"webhook:{subscription['id']}"
    key = delivery_key(str(envelope.event_id), recipient, "webhook")
    return _delivery(key, "webhook", recipient, now) | {
        "subscription_id": subscription["id"],
        "event_id": str(envelope.event_id),
        "event_type": envelope.type,
        "routing_key": envelope.routing_key,
        "target": subscription["url"],
        # The envelope exactly as published: receivers get what a queue on the exchange gets.
        "body": envelope.to_json().decode(),
    }


def email_delivery(
    event: str,
    recipient: str,
    preferences: Document,
    template: str,
    context: dict[str, Any],
    now: datetime,
) -> Document:
    key = delivery_key(event, recipient, "email")
    return _delivery(key, "email", recipient, now) | {
        "event_id": event,
        "target": preferences["email"],
        "language": preferences.get("language", "id"),
        "template": template,
        "context": context,
    }
