"""A pass of the delivery worker (`entrypoints.delivery_worker`): sends what is due in the
outbox, records each attempt, retries with backoff and jitter, and pauses a webhook subscription
that keeps failing.

Each attempt is claimed in the ledger before it is sent (attempt n of a delivery can be claimed
once), so two replicas never send the same attempt. A worker that dies after sending but before
recording sends again after the lease: delivery is at least once, and receivers drop duplicates
by `webhook-id` (the delivery key, the same on every attempt).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any, Literal, cast

import httpx
import structlog

from sipokat.events.envelope import utc_now
from sipokat.events.store import Document, ViewTransaction
from sipokat.notification.adapters import ledger as L
from sipokat.notification.adapters import mail
from sipokat.notification.adapters.ledger import Ledger
from sipokat.notification.adapters.webhooks import Outcome, post_signed, signature_headers
from sipokat.notification.domain import retry_delay
from sipokat.notification.handlers.context import NotificationContext
from sipokat.notification.settings import NotificationSettings

log = structlog.get_logger(__name__)

_PARALLEL = 8  # sends in flight at once, so one slow receiver does not hold up the rest


class Deliverer:
    def __init__(
        self, ledger: Ledger, settings: NotificationSettings, client: httpx.AsyncClient
    ) -> None:
        self.ledger = ledger
        self.settings = settings
        self.client = client

    async def deliver_due(self, now: datetime | None = None) -> int:
        """One pass over the outbox; returns how many attempts were made."""
        now = now or utc_now()
        entries = await self.ledger.find(L.OUTBOX, limit=self.settings.delivery_batch)
        subscriptions = {s["id"]: s for s in await self.ledger.subscriptions()}
        due = []
        for entry in entries:
            subscription = subscriptions.get(entry.get("subscription_id") or "")
            if entry["channel"] == "webhook":
                if subscription is None or subscription["status"] == "deleted":
                    await self._cancel(entry["key"], "subscription deleted")
                    continue
                if subscription["status"] == "paused":
                    await self.ledger.move(entry["key"], L.OUTBOX, L.HELD)
                    continue
            if datetime.fromisoformat(entry["due_at"]) <= now:
                due.append((entry, subscription))
        limit = asyncio.Semaphore(_PARALLEL)

        async def attempt(entry: Document, subscription: Document | None) -> bool:
            async with limit:
                return await self._attempt(entry, subscription, now)

        made = await asyncio.gather(*(attempt(e, s) for e, s in due))
        return sum(made)

    async def _attempt(self, entry: Document, subscription: Document | None, now: datetime) -> bool:
        key = entry["key"]
        number = entry["attempts"] + 1
        lease = now + timedelta(seconds=self.settings.delivery_lease_seconds)
        delivery = await self.ledger.claim(key, number, lease.isoformat())
        if delivery is None:
            return False
        started = time.monotonic()
        if delivery["channel"] == "webhook":
            assert subscription is not None
            outcome = await self._post(delivery, subscription)
        else:
            outcome = await self._mail(delivery)
        elapsed_ms = round((time.monotonic() - started) * 1000)
        await self._record(delivery, number, outcome, elapsed_ms)
        log.info(
            "delivery.attempt",
            key=key,
            channel=delivery["channel"],
            attempt=number,
            ok=outcome.ok,
            error=outcome.error,
        )
        return True

    async def _post(self, delivery: Document, subscription: Document) -> Outcome:
        body = delivery["body"].encode()
        headers = signature_headers(subscription["secret"], delivery["key"], int(time.time()), body)
        return await post_signed(
            self.client,
            subscription["url"],
            body,
            headers,
            allow_private=self.settings.webhook_allow_private,
        )

    async def _mail(self, delivery: Document) -> Outcome:
        template = cast(Literal["notice", "digest"], delivery["template"])
        language = cast(mail.Language, delivery["language"])
        try:
            subject, body = mail.render(template, language, delivery["context"])
            message = mail.message(
                self.settings, delivery["target"], subject, body, delivery["key"]
            )
            await mail.send(self.settings, message)
        except Exception as exc:  # any SMTP or network failure is one failed attempt
            return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(True, None, None)

    async def _record(
        self, delivery: Document, number: int, outcome: Outcome, elapsed_ms: int
    ) -> None:
        key = delivery["key"]
        settings = self.settings
        now = utc_now()
        final_failure = not outcome.ok and number >= settings.delivery_max_attempts
        retry_at = now + timedelta(
            seconds=retry_delay(number, settings.retry_base_seconds, settings.retry_max_seconds)
        )

        async def effect(tx: ViewTransaction) -> None:
            await tx.put(
                L.ATTEMPTS,
                f"{key}|{number:04d}",
                {
                    "delivery_key": key,
                    "subscription_id": delivery.get("subscription_id"),
                    "attempt": number,
                    "at": now.isoformat(),
                    "ok": outcome.ok,
                    "status_code": outcome.status_code,
                    "error": outcome.error,
                    "duration_ms": elapsed_ms,
                },
            )
            changes: dict[str, Any] = {
                "attempts": number,
                "last_attempt_at": now.isoformat(),
                "last_error": outcome.error,
            }
            if outcome.ok:
                changes |= {"status": "delivered", "delivered_at": now.isoformat()}
                await tx.delete(L.OUTBOX, key)
            elif final_failure:
                changes |= {"status": "failed"}
                await tx.delete(L.OUTBOX, key)
            else:
                changes |= {"status": "pending", "next_attempt_at": retry_at.isoformat()}
                entry = await tx.get(L.OUTBOX, key)
                if entry is not None:
                    await tx.put(L.OUTBOX, key, entry | {"due_at": retry_at.isoformat()})
            stored = await tx.get(L.DELIVERIES, key) or delivery
            await tx.put(L.DELIVERIES, key, stored | changes)
            if delivery.get("subscription_id"):
                await self._count(tx, delivery["subscription_id"], outcome, now)

        await self.ledger.write(effect, once=f"result|{key}|{number}")

    async def _count(
        self, tx: ViewTransaction, subscription_id: str, outcome: Outcome, now: datetime
    ) -> None:
        subscription = await tx.get(L.SUBSCRIPTIONS, subscription_id)
        if subscription is None:
            return
        if outcome.ok:
            subscription |= {"consecutive_failures": 0, "last_success_at": now.isoformat()}
        else:
            failures = subscription.get("consecutive_failures", 0) + 1
            subscription |= {"consecutive_failures": failures, "last_error": outcome.error}
            limit = self.settings.webhook_pause_after_failures
            if failures >= limit and subscription["status"] == "active":
                subscription |= {
                    "status": "paused",
                    "paused_at": now.isoformat(),
                    "paused_reason": (
                        f"{failures} deliveries in a row failed; last error: {outcome.error}"
                    ),
                }
        await L.put_subscription(tx, subscription_id, subscription)

    async def _cancel(self, key: str, reason: str) -> None:
        async def effect(tx: ViewTransaction) -> None:
            await tx.delete(L.OUTBOX, key)
            await tx.delete(L.HELD, key)
            stored = await tx.get(L.DELIVERIES, key)
            if stored is not None and stored["status"] == "pending":
                await tx.put(
                    L.DELIVERIES, key, stored | {"status": "cancelled", "last_error": reason}
                )

        await self.ledger.write(effect)


def deliverer(context: NotificationContext) -> Deliverer:
    return Deliverer(context.ledger, context.settings, context.http)
