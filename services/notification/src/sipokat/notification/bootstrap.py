"""Wires the notification service: the views and the ledger, the consumer, the delivery
worker, the daily digest and the live broadcast among replicas."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from sipokat.notification.adapters.ledger import opened_ledger
from sipokat.notification.adapters.live import BroadcastFactory, replica_broadcast, shared_hub
from sipokat.notification.adapters.webhooks import http_client
from sipokat.notification.entrypoints import inbox, rebuild, subscriptions
from sipokat.notification.entrypoints.daily_digest import daily_digest
from sipokat.notification.entrypoints.delivery_worker import delivery_worker
from sipokat.notification.entrypoints.live_sharing import live_sharing
from sipokat.notification.handlers import VIEW, NotificationContext, notifier
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.health import CheckResult
from sipokat.runtime.service import ServiceRuntime, Subscription, create_service_app

BINDINGS = ["report.#"]


def create_app(
    settings: NotificationSettings | None = None,
    *,
    broadcast: BroadcastFactory = replica_broadcast,
) -> FastAPI:
    """`broadcast` is injectable so a test can point it at a broker that is not there."""
    settings = settings or NotificationSettings()
    hub, live = shared_hub(settings, broadcast)
    wake = asyncio.Event()  # set when a delivery is planned

    @contextlib.asynccontextmanager
    async def context(
        runtime: ServiceRuntime[NotificationContext],
    ) -> AsyncIterator[NotificationContext]:
        # The ledger is a second database that view rebuilds never touch.
        async with opened_ledger(settings) as ledger, http_client(settings) as http:
            yield NotificationContext(
                settings=settings,
                database=runtime.database,
                ledger=ledger,
                hub=hub,
                broadcast=live,
                http=http,
                wake=wake,
                views_rebuild=runtime.rebuilds[VIEW.name],
            )

    runtime = ServiceRuntime(
        "notification",
        settings,
        context=context,
        subscription=Subscription(
            BINDINGS, lambda c: notifier(c).handle, lambda c: notifier(c).handle_many
        ),
        background=[live_sharing, delivery_worker]
        + ([daily_digest] if settings.digest_enabled else []),
    )
    runtime.add_log_view(VIEW)

    async def ledger_reachable() -> CheckResult:
        await runtime.context.ledger.database.ping()
        return CheckResult("pass")

    runtime.add_check("ledger:reachable", ledger_reachable)
    # Without its broadcast, a replica's live streams miss what the others consume.
    runtime.add_broker_link(live.link)
    return create_service_app(
        runtime,
        [inbox.router, subscriptions.router, rebuild.router],
        title="Sipokat notification",
    )
