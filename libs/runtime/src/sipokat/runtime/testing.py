"""Test support for services: drive a service's app in-process, lifespan and all; and the
outside world a service talks to, for real: an HTTP receiver (webhooks) and an SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiosmtpd.controller import Controller
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sipokat.events.broker.consumer import Handler
from sipokat.events.envelope import Role
from sipokat.events.store import Database
from sipokat.events.store.memory import MemoryDatabase
from sipokat.runtime.auth import mint_token
from sipokat.runtime.service import ServiceRuntime
from sipokat.runtime.settings import ServiceSettings


@contextlib.asynccontextmanager
async def service_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, with its runtime (store, relay, consumer) started."""
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


def in_memory(app: FastAPI, database: MemoryDatabase | None = None) -> MemoryDatabase:
    """Run the app's service on a memory database and with no broker: the same bootstrap, its
    store and broker swapped (cosmicpython's `bootstrap_test_app`), for a test of what its
    handlers, routes and jobs do. No relay publishes and no consumer consumes: the test hands
    the handlers their events. Each start opens a new handle on `database`."""
    database = database or MemoryDatabase()
    runtime = runtime_of_app(app)

    async def opens() -> Database:
        return database.handle()

    runtime.opens_database = opens
    runtime.uses_broker = False
    return database


def consumer_handler(app: FastAPI) -> Handler:
    """What the started service's consumer does with one event: its subscription's handler, built
    from its context as the runtime builds it, for a test that hands the service its events."""
    runtime = runtime_of_app(app)
    assert runtime.subscription is not None, f"{runtime.name} consumes nothing"
    return runtime.subscription.handler(runtime.context)


def runtime_of_app(app: FastAPI) -> ServiceRuntime[Any]:
    runtime: ServiceRuntime[Any] = app.state.runtime
    return runtime


def bearer(
    role: Role | str, wilayah: str | None, settings: ServiceSettings | None = None
) -> dict[str, str]:
    """Authorization headers with a development token for `role` in `wilayah`."""
    token = mint_token(
        settings or ServiceSettings(), subject=f"{role}-{wilayah}", role=role, wilayah=wilayah
    )
    return {"Authorization": f"Bearer {token}"}


# One of each role, in real areas of the shipped directory (RT 007 of Pelita Jaya, its kecamatan
# Lubuk Linggau Barat I, Kota Lubuk Linggau); admins and integrators answer for no one area.
ONE_OF_EACH_ROLE: list[tuple[str, str | None]] = [
    ("ketua_rt", "16.73.02.1019/007"),
    ("lurah", "16.73.02.1019"),
    ("camat", "16.73.02"),
    ("pemkot", "16.73"),
    ("admin", None),
    ("integrator", None),
]


def free_port() -> int:
    """A TCP port nothing listens on now, for a service process of a test or benchmark."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stop_processes(processes: Iterable[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    """Ask every service process to stop, then kill what has not stopped within `timeout`."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def log_tail(path: Path, lines: int = 30) -> str:
    """The last lines of a service's log, for an error message."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


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
