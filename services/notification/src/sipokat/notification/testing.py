"""Test support for the notification service: the app started in-process, webhook receivers
served over real HTTP, and a real SMTP server (aiosmtpd) collecting mail."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sipokat.events.testing import TrackedTopology
from sipokat.notification.bootstrap import NotificationRuntime, create_app
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.testing import runtime_of_app, service_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
    def runtime(self) -> NotificationRuntime:
        runtime = runtime_of_app(self.app)
        assert isinstance(runtime, NotificationRuntime)
        return runtime


@contextlib.asynccontextmanager
async def started(settings: NotificationSettings) -> AsyncIterator[Service]:
    app = create_app(settings)
    async with service_client(app) as client:
        yield Service(client, app)


@pytest.fixture
async def service(settings: NotificationSettings) -> AsyncIterator[Service]:
    async with started(settings) as running:
        yield running


@dataclass
class Receiver:
    """A webhook receiver over real HTTP on 127.0.0.1; `failing` makes it answer 500."""

    port: int = field(default_factory=free_port)
    failing: bool = False
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        if self.failing:
            return Response("down for maintenance", status_code=500)
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    async def start(self) -> None:
        app = FastAPI(routes=[Route("/hook", self._hook, methods=["POST"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Not started: a test starts it when the receiver should be up."""
    made = Receiver()
    yield made
    await made.stop()


@dataclass
class Mailbox:
    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content)
        mail["X-Rcpt-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(mail)
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a free port, collecting what it receives."""
    mailbox = Mailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox
