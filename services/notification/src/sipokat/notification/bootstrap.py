"""Wires the notification service: the views and ledger, the consumer, the delivery worker and
the daily digest."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
from fastapi import FastAPI

from sipokat.events.broker.broadcast import Broadcast
from sipokat.events.broker.connection import BrokerLink
from sipokat.events.foldversion import BackgroundRebuild
from sipokat.events.store import Database, Document, open_database
from sipokat.notification.delivery import Deliverer, run_worker
from sipokat.notification.digest import run_daily, send_digests
from sipokat.notification.entrypoints import inbox, rebuild, subscriptions
from sipokat.notification.handlers import Notifier
from sipokat.notification.ledger import Ledger
from sipokat.notification.live import Hub, deliver_encoded, encode
from sipokat.notification.settings import NotificationSettings
from sipokat.notification.views import VIEW
from sipokat.runtime.health import Check, CheckResult
from sipokat.runtime.service import (
    ServiceRuntime,
    Subscription,
    create_service_app,
    database_context,
)

BINDINGS = ["report.#"]
LEDGER = "notification_ledger"


class NotificationRuntime(ServiceRuntime[Database]):
    """The shared runtime plus the ledger: a second database that view rebuilds never touch."""

    settings: NotificationSettings

    def __init__(self, settings: NotificationSettings) -> None:
        self.hub = Hub()
        self.live = Broadcast(
            settings.rabbitmq_url,
            settings.topology,
            "notification",
            lambda sent: deliver_encoded(self.hub, sent),
            name=f"{settings.broker_prefix}.notification.broadcast",
        )
        # An app's stream may be held by any replica, the events are consumed by one: live
        # items go to every replica (to this one alone while it is not connected).
        self.hub.send = lambda recipient, item: self.live.send(encode(recipient, item))
        self.wake = asyncio.Event()  # set when a delivery is planned
        self._ledger: Ledger | None = None
        super().__init__(
            "notification",
            settings,
            context=database_context,
            subscription=Subscription(
                BINDINGS,
                lambda db: self.notifier().handle,
                lambda db: self.notifier().handle_many,
            ),
            background=[share_live_items, deliver]
            + ([daily_digest] if settings.digest_enabled else []),
        )
        self.add_log_view(VIEW)

    @property
    def views_rebuild(self) -> BackgroundRebuild:
        return self.rebuilds[VIEW.name]

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            raise RuntimeError("notification is not started")
        return self._ledger

    def notifier(self) -> Notifier:
        return Notifier(
            self.database.views, self.ledger, self.settings, self.hub, on_planned=self.wake.set
        )

    async def send_digests(self, now: datetime | None = None) -> list[Document]:
        return await send_digests(
            self.database.views, self.ledger, self.settings, self.hub, now, on_planned=self.wake.set
        )

    async def start(self) -> None:
        s = self.settings
        self._ledger = Ledger(
            await open_database(
                s.store_backend, service=LEDGER, data_dir=s.data_dir, mongodb_url=s.mongodb_url
            )
        )
        try:
            await super().start()
        except BaseException:
            await self._close_ledger()
            raise

    async def stop(self) -> None:
        try:
            await super().stop()
        finally:
            await self._close_ledger()

    async def _close_ledger(self) -> None:
        if self._ledger is not None:
            await self._ledger.database.close()
            self._ledger = None

    async def check_ledger(self) -> CheckResult:
        await self.ledger.database.ping()
        return CheckResult("pass")

    def broker_links(self) -> list[BrokerLink]:
        # Without its broadcast, a replica's live streams miss what the others consume.
        return [*super().broker_links(), self.live.link]

    def checks(self) -> dict[str, Check]:
        return super().checks() | {"ledger:reachable": self.check_ledger}


async def share_live_items(runtime: ServiceRuntime[Database], stop: asyncio.Event) -> None:
    assert isinstance(runtime, NotificationRuntime)
    await runtime.live.run(stop)


async def deliver(runtime: ServiceRuntime[Database], stop: asyncio.Event) -> None:
    assert isinstance(runtime, NotificationRuntime)
    s = runtime.settings
    # Redirects are not followed: a receiver could otherwise send the request somewhere the
    # address check never saw.
    async with httpx.AsyncClient(
        timeout=s.webhook_timeout_seconds, follow_redirects=False
    ) as client:
        deliverer = Deliverer(runtime.ledger, s, client)
        await run_worker(deliverer, runtime.wake, stop, s.delivery_poll_seconds)


async def daily_digest(runtime: ServiceRuntime[Database], stop: asyncio.Event) -> None:
    assert isinstance(runtime, NotificationRuntime)
    await run_daily(runtime.send_digests, runtime.settings.digest_hour_wib, stop)


def create_app(settings: NotificationSettings | None = None) -> FastAPI:
    runtime = NotificationRuntime(settings or NotificationSettings())
    return create_service_app(
        runtime,
        [inbox.router, subscriptions.router, rebuild.router],
        title="Sipokat notification",
    )
