"""Test support for the notification service: the app started in-process on a real SQLite
store and the real broker, with webhook receivers and an SMTP server (`sipokat.runtime.testing`)
as fixtures."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from sipokat.events.testing import TrackedTopology
from sipokat.notification.bootstrap import create_app
from sipokat.notification.handlers import NotificationContext
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.service import ServiceRuntime
from sipokat.runtime.testing import Mailbox, Receiver, runtime_of_app, service_client, smtp_server


@pytest.fixture
def settings(topology: TrackedTopology, tmp_path: Path) -> NotificationSettings:
    return NotificationSettings(
        broker_prefix=topology.prefix,
        data_dir=tmp_path,
        webhook_allow_private=True,  # the receivers below listen on 127.0.0.1
        retry_base_seconds=0.05,
        retry_max_seconds=0.2,
        delivery_poll_seconds=0.1,
        webhook_pause_after_failures=3,
        digest_enabled=False,
    )


@dataclass
class Service:
    client: httpx.AsyncClient
    app: FastAPI

    @property
    def runtime(self) -> ServiceRuntime[Any]:
        return runtime_of_app(self.app)

    @property
    def context(self) -> NotificationContext:
        context = self.runtime.context
        assert isinstance(context, NotificationContext)
        return context


@contextlib.asynccontextmanager
async def started(settings: NotificationSettings) -> AsyncIterator[Service]:
    app = create_app(settings)
    async with service_client(app) as client:
        yield Service(client, app)


@pytest.fixture
async def service(settings: NotificationSettings) -> AsyncIterator[Service]:
    async with started(settings) as running:
        yield running


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Not started: a test starts it when the receiver should be up."""
    made = Receiver()
    yield made
    await made.stop()


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox
