"""The ledger: what the service has promised or been told, kept apart from the rebuildable views.

Views (inbox items, what waits where) are folds of the event log: a rebuild drops and replays them.
Deliveries (email, webhooks), read marks, subscriptions, contact preferences and digests are not
derivable from the log, and a rebuild must never send again, so they live in a second database of
the same backend (`<data_dir>/notification_ledger.db`, or `sipokat_notification_ledger`) that a
rebuild does not touch.

Every write is one `apply_once` transaction of that database. Writes that must happen once carry a
deterministic operation id (a UUIDv5 of, e.g., the delivery key), so the applied-operation record
is the idempotency record: enqueueing delivery (event, recipient, channel) twice, after a
redelivery or a rebuild, stores it once. A write's effect may run more than once (the store
contract): what it hands back comes from its committed run (`apply_once_returning`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from sipokat.events.store import (
    Database,
    Document,
    ViewTransaction,
    apply_once_returning,
    open_database,
)
from sipokat.notification.settings import NotificationSettings

SERVICE = "notification_ledger"  # names the ledger's database beside the service's own

DELIVERIES = "deliveries"  # every delivery ever planned, with its outcome: the delivery log
OUTBOX = "outbox"  # deliveries still to try, with when
HELD = "held"  # deliveries of a paused subscription, until it is resumed
ATTEMPTS = "attempts"  # one record per attempt: `<delivery key>|<n>`
SUBSCRIPTIONS = "subscriptions"
PREFERENCES = "preferences"  # per recipient office: email address and language
READS = "reads"  # inbox item key → read
DIGESTS = "digests"  # `digest|<recipient>|<day>` → the digest, shown in the inbox
CHANGES = "changes"  # collection → how many times it was written (`subscriptions` only)

_NAMESPACE = uuid5(NAMESPACE_URL, "https://sipokat.id/notification/ledger")

Write = Callable[[ViewTransaction], Awaitable[None]]


def operation_id(name: str) -> UUID:
    return uuid5(_NAMESPACE, name)


async def put_subscription(tx: ViewTransaction, subscription_id: str, doc: Document) -> None:
    """Store a subscription, and count the change: `Ledger.subscriptions` reads them all again
    only once this count moved (every write of a subscription must come through here)."""
    await tx.put(SUBSCRIPTIONS, subscription_id, doc)
    await tx.increment(CHANGES, SUBSCRIPTIONS, {"writes": 1})


class Ledger:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.views = database.views
        self._subscriptions: tuple[Document | None, list[Document]] | None = None

    async def write(self, effect: Write, *, once: str | None = None) -> bool:
        """Run `effect` in one transaction; with `once`, only the first time for that name."""
        return await self.views.apply_once(operation_id(once) if once else uuid4(), effect)

    async def get(self, collection: str, key: str) -> Document | None:
        return await self.views.get(collection, key)

    async def find(
        self, collection: str, where: dict[str, Any] | None = None, *, limit: int = 10_000
    ) -> list[Document]:
        return await self.views.find(collection, where, limit=limit)

    async def subscriptions(self) -> list[Document]:
        """Every subscription, deleted ones too (do not change them). Every event asks for them:
        a key lookup tells whether any changed since the last scan, in this replica or another."""
        changes = await self.views.get(CHANGES, SUBSCRIPTIONS)  # read before the scan it guards
        if self._subscriptions is None or self._subscriptions[0] != changes:
            self._subscriptions = (changes, await self.find(SUBSCRIPTIONS))
        return self._subscriptions[1]

    async def enqueue(self, delivery: Document, *, held: bool = False) -> bool:
        """Plan a delivery once per key; False when it was planned before (nothing changes)."""
        key = delivery["key"]

        async def effect(tx: ViewTransaction) -> None:
            await tx.put(DELIVERIES, key, delivery)
            await tx.put(HELD if held else OUTBOX, key, queue_entry(delivery))

        return await self.write(effect, once=f"enqueue|{key}")

    async def move(self, key: str, source: str, target: str, due_at: str | None = None) -> None:
        async def effect(tx: ViewTransaction) -> None:
            entry = await tx.get(source, key)
            if entry is None:
                return
            await tx.delete(source, key)
            await tx.put(target, key, entry | ({"due_at": due_at} if due_at else {}))

        await self.write(effect)

    async def claim(self, key: str, attempt: int, lease_until: str) -> Document | None:
        """Take attempt number `attempt` of a delivery; None when another worker took it or the
        delivery is no longer queued. The lease puts it back in reach if this worker dies.

        The delivery comes from the claim's committed run only: a run that was aborted and
        followed by another worker's claim hands nothing over, so the attempt is sent once."""

        async def effect(tx: ViewTransaction) -> Document | None:
            entry = await tx.get(OUTBOX, key)
            if entry is None or entry["attempts"] + 1 != attempt:
                return None
            await tx.put(OUTBOX, key, entry | {"attempts": attempt, "due_at": lease_until})
            return await tx.get(DELIVERIES, key)

        return await apply_once_returning(
            self.views, operation_id(f"claim|{key}|{attempt}"), effect
        )


@contextlib.asynccontextmanager
async def opened_ledger(settings: NotificationSettings) -> AsyncIterator[Ledger]:
    """The ledger's database, open while the service runs."""
    s = settings
    database = await open_database(
        s.store_backend, service=SERVICE, data_dir=s.data_dir, mongodb_url=s.mongodb_url
    )
    try:
        yield Ledger(database)
    finally:
        await database.close()


def queue_entry(delivery: Document) -> Document:
    return {
        "key": delivery["key"],
        "channel": delivery["channel"],
        "subscription_id": delivery.get("subscription_id"),
        "due_at": delivery["created_at"],
        "attempts": 0,
    }
