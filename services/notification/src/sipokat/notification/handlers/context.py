"""What notification's handlers, routes and jobs work with, built once at start-up by the
bootstrap's context factory (which opens the ledger and the HTTP client, and closes them)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from sipokat.events.broker.broadcast import Broadcast
from sipokat.events.foldversion import BackgroundRebuild
from sipokat.events.store import Database
from sipokat.notification.adapters.ledger import Ledger
from sipokat.notification.adapters.live import Hub
from sipokat.notification.settings import NotificationSettings


@dataclass(frozen=True)
class NotificationContext:
    settings: NotificationSettings
    database: Database  # the rebuildable views
    ledger: Ledger  # what a rebuild never touches: deliveries, subscriptions, read marks, ...
    hub: Hub  # live inbox items to this replica's streams, through `broadcast` to every replica
    broadcast: Broadcast
    http: httpx.AsyncClient  # webhook deliveries (`adapters.webhooks.http_client`)
    wake: asyncio.Event  # set when a delivery is planned: the worker goes at once
    views_rebuild: BackgroundRebuild
