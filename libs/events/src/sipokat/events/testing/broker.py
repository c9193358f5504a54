"""The RabbitMQ the tests run against, and a topology of their own per test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit
from uuid import uuid4

import aio_pika
import pytest
import pytest_asyncio

from sipokat.events.broker.topology import Topology
from sipokat.events.testing.containers import docker_available

T = TypeVar("T")

DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1/"
PLATFORM_SERVICES = ("intake", "verification", "analytics", "notification")
RABBITMQ_IMAGE = "rabbitmq:3.13"


def _run_in_thread(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a private loop, whether or not one is running here."""

    async def main() -> T:
        return await coro_fn()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


async def _probe_amqp(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=5)
    await connection.close()


def broker_error(url: str) -> Exception | None:
    """None when an AMQP connection to `url` opens (login included), else the error."""
    try:
        _run_in_thread(lambda: _probe_amqp(url))
    except Exception as exc:
        return exc
    return None


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


@dataclass
class RabbitBroker:
    """The broker the tests run against, and how to stop and start it (fault tests)."""

    url: str
    container: Any = None  # a testcontainers RabbitMqContainer when we started one

    def rabbitmqctl(self, *args: str, timeout: float = 120.0) -> str:
        if self.container is not None:
            code, output = self.container.exec(["rabbitmqctl", *args])
            if code != 0:
                raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {output!r}")
            return str(output)
        command = os.environ.get("RABBITMQCTL")
        if command:
            prefix = shlex.split(command)
        else:
            host = urlsplit(self.url).hostname or "localhost"
            if host not in ("localhost", "127.0.0.1", "::1"):
                pytest.fail(
                    f"cannot control the broker at {host} from here: set RABBITMQCTL to a command "
                    "that runs rabbitmqctl against it, or deselect with -m 'not disruptive'",
                    pytrace=False,
                )
            found = shutil.which("rabbitmqctl")
            if found is None:
                pytest.fail(
                    "rabbitmqctl not found: install it (it ships with rabbitmq-server), set "
                    "RABBITMQCTL, or deselect with -m 'not disruptive'",
                    pytrace=False,
                )
            prefix = [found]
        done = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"rabbitmqctl {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}"
            )
        return done.stdout

    def close_connections(self, name_contains: str) -> int:
        """Force-close (as the broker would) every connection whose client-given name contains
        `name_contains`; returns how many. Relays and consumers name theirs after their
        topology's prefix, so a test's own prefix closes only that test's connections."""
        listing = self.rabbitmqctl(
            "list_connections", "pid", "client_properties", "--quiet", "--no-table-headers"
        )
        pids = [
            line.split("\t", 1)[0]
            for line in listing.splitlines()
            if "connection_name" in line and name_contains in line
        ]
        for pid in pids:
            with contextlib.suppress(RuntimeError):  # it may be gone already
                self.rabbitmqctl("close_connection", pid, "closed by a test")
        return len(pids)

    def stop_app(self) -> None:
        self.rabbitmqctl("stop_app")

    def start_app(self) -> None:
        self.rabbitmqctl("start_app")
        self.rabbitmqctl("await_startup")

    def wait_until_reachable(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while (error := broker_error(self.url)) is not None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"broker {_redact(self.url)} unreachable: {error!r}")
            time.sleep(0.5)


def _start_rabbitmq_container() -> RabbitBroker:
    # Only when no broker answers: testcontainers takes about 0.3 s to import.
    from testcontainers.community.rabbitmq import RabbitMqContainer

    container = RabbitMqContainer(RABBITMQ_IMAGE)
    container.start()
    host = container.get_container_host_ip()
    port = container.get_exposed_port(container.port)
    url = f"amqp://{container.username}:{container.password}@{host}:{port}/"
    return RabbitBroker(url=url, container=container)


@pytest.fixture(scope="session")
def rabbitmq_broker() -> Iterator[RabbitBroker]:
    url = os.environ.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL
    error = None
    for _ in range(3):  # a broker that is just starting gets a few seconds
        error = broker_error(url)
        if error is None:
            yield RabbitBroker(url=url)
            return
        time.sleep(1)
    if docker_available():
        broker = _start_rabbitmq_container()
        try:
            yield broker
        finally:
            broker.container.stop()
        return
    pytest.fail(
        f"RabbitMQ is required and not reachable at {_redact(url)} ({error!r}), and Docker is not "
        "available for a testcontainers broker. Start one (e.g. `rabbitmq-server -detached`) or "
        "set RABBITMQ_URL.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def rabbitmq_url(rabbitmq_broker: RabbitBroker) -> str:
    return rabbitmq_broker.url


@dataclass(frozen=True)
class TrackedTopology(Topology):
    """A `Topology` that remembers every service and extra queue it named, for cleanup."""

    services: set[str] = field(default_factory=set, compare=False, repr=False)
    queues: set[str] = field(default_factory=set, compare=False, repr=False)

    def service_queue(self, service: str) -> str:
        self.services.add(service)
        return super().service_queue(service)

    def dead_letter_queue(self, service: str) -> str:
        self.services.add(service)
        return super().dead_letter_queue(service)

    def test_queue(self, name: str) -> str:
        """A queue name of this test's own (e.g. an integrator's queue), deleted on teardown."""
        queue = f"{self.prefix}.{name}"
        self.queues.add(queue)
        return queue


def new_topology() -> TrackedTopology:
    return TrackedTopology(prefix=f"test-{uuid4().hex[:12]}")


async def delete_topology(
    url: str, topology: Topology, services: Sequence[str] = (), queues: Sequence[str] = ()
) -> None:
    """Delete the exchanges and queues of `topology`: its exchange, dead-letter exchange, event
    log stream, each service's queue, dead-letter queue and broadcast exchange, and `queues`.
    Missing ones are fine."""
    queue_names = [topology.event_log, *queues]
    exchange_names = [topology.exchange, topology.dead_letter_exchange]
    for service in services:
        queue_names += [topology.service_queue(service), topology.dead_letter_queue(service)]
        # Auto-deleted with its last binding, but one a replica stopped before binding stays.
        exchange_names.append(topology.broadcast_exchange(service))
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel()
        for name in queue_names:
            if channel.is_closed:
                channel = await connection.channel()
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                # quorum queues refuse if_unused / if_empty
                await channel.queue_delete(name, if_unused=False, if_empty=False)
        for name in exchange_names:
            if channel.is_closed:
                channel = await connection.channel()
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.exchange_delete(name, if_unused=False)
    finally:
        await connection.close()


@pytest_asyncio.fixture
async def topology(rabbitmq_url: str) -> AsyncIterator[TrackedTopology]:
    tracked = new_topology()
    yield tracked
    # A service started on this prefix declares its queues through its own Topology object,
    # which `tracked` never sees: delete the platform's service queues too, or every such test
    # leaves two quorum queues behind and a long-lived test broker slowly chokes on them.
    services = sorted(tracked.services | set(PLATFORM_SERVICES))
    await delete_topology(rabbitmq_url, tracked, services, sorted(tracked.queues))
