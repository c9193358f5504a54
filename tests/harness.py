"""Runs the services as real processes, as `make run` does, on free ports: the four, and the
identity service when it is installed (every service then trusts its tokens at its port).

Each platform gets its own broker prefix and data directory, so tests never touch a running
`sipokat.*` platform on the same broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from sipokat.events.broker.topology import Topology
from sipokat.events.testing import delete_topology, eventually
from sipokat.runtime.settings import installed_services
from sipokat.runtime.testing import bearer, free_port, log_tail, stop_processes

SERVICES = tuple(installed_services())
# The services that consume the event exchange, each with its queue and dead letters (identity
# keeps accounts and consumes no events).
CONSUMERS = ("intake", "verification", "analytics", "notification")
assert set(CONSUMERS) <= set(SERVICES)


def instance(service: str, replica: int = 0) -> str:
    """A process's name: the service itself for its first replica, `intake-2` for the second..."""
    return service if replica == 0 else f"{service}-{replica + 1}"


def service_of(name: str) -> tuple[str, int]:
    """The service and replica number an instance name stands for."""
    service, _, number = name.partition("-")
    return service, int(number) - 1 if number else 0


@dataclass
class Platform:
    """The services; with `replicas` > 1, that many processes of each, on one broker prefix
    and one data directory, so a service's replicas share its SQLite store (as on one host).

    Replica n of the gateway routes to replica n of the other services, so spreading requests
    over the gateways spreads them over every service's replicas.
    """

    rabbitmq_url: str
    prefix: str
    data_dir: Path
    replicas: int = 1
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)  # more SIPOKAT_* for every process

    def __post_init__(self) -> None:
        for name in self.instances():
            self.ports.setdefault(name, free_port())

    def instances(self, replica: int | None = None) -> list[str]:
        replicas = range(self.replicas) if replica is None else [replica]
        return [instance(s, r) for r in replicas for s in SERVICES]

    def url(self, service: str = "intake", replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[instance(service, replica)]}"

    def env(self, name: str) -> dict[str, str]:
        _, replica = service_of(name)
        return {
            **os.environ,
            "RABBITMQ_URL": self.rabbitmq_url,
            "SIPOKAT_BROKER_PREFIX": self.prefix,
            "SIPOKAT_DATA_DIR": str(self.data_dir),
            "SIPOKAT_STORE_BACKEND": "sqlite",
            "SIPOKAT_HTTP_PORT": str(self.ports[name]),
            "SIPOKAT_VERIFICATION_URL": self.url("verification", replica),
            "SIPOKAT_ANALYTICS_URL": self.url("analytics", replica),
            "SIPOKAT_NOTIFICATION_URL": self.url("notification", replica),
            **self.identity_env(replica),
            # A notification service (re)started after 07:00 WIB sends the day's digest at once:
            # an inbox item on top of those the tests count, depending on the hour they run.
            "SIPOKAT_DIGEST_ENABLED": "false",
            **self.settings,
        }

    def identity_env(self, replica: int) -> dict[str, str]:
        """Where the gateway and every service find this platform's identity service; without
        one, no identity is trusted (not one a developer runs on the default port)."""
        if "identity" not in SERVICES:
            return {"SIPOKAT_IDENTITY_JWKS_URL": ""}
        url = self.url("identity", replica)
        return {
            "SIPOKAT_IDENTITY_URL": url,
            "SIPOKAT_IDENTITY_JWKS_URL": f"{url}/.well-known/jwks.json",
        }

    def start(self, *names: str) -> None:
        """Start the named instances (default: all), and wait until they are ready.

        By default the first replicas start, and are ready, before the others: they then hold
        the relay leases and are the queues' active consumers, the others stand by.
        """
        groups = [list(names)] if names else [self.instances(r) for r in range(self.replicas)]
        for group in groups:
            for name in group:
                self.spawn(name)
            for name in group:
                self.wait_until_ready(name)

    def spawn(self, name: str) -> None:
        service, _ = service_of(name)
        log = (self.data_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "sipokat.runtime.serve", service],
            env=self.env(name),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.ports[name]}/health/ready"
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited: {self.log_tail(name)}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{name} not ready after {timeout}s: {self.log_tail(name)}")

    def kill(self, name: str) -> None:
        """kill -9: no shutdown hook runs."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        stop_processes(self.processes.values(), timeout=15)

    def log_tail(self, name: str, lines: int = 30) -> str:
        return log_tail(self.data_dir / f"{name}.log", lines)

    def samples(self, name: str, metric: str) -> list[tuple[dict[str, str], float]]:
        """One Prometheus metric's samples on an instance: (labels, value) each."""
        text = httpx.get(f"http://127.0.0.1:{self.ports[name]}/metrics", timeout=5).text
        return [
            (sample.labels, sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == metric
        ]

    def metric(self, name: str, metric: str, **labels: str) -> float:
        """The sum of one metric's samples on an instance, over those carrying `labels`."""
        return sum(
            value for found, value in self.samples(name, metric) if labels.items() <= found.items()
        )


@contextlib.asynccontextmanager
async def running_platform(
    rabbitmq_url: str,
    data_dir: Path,
    start: Callable[[Platform], None] = Platform.start,
    **options: Any,
) -> AsyncIterator[Platform]:
    """A `Platform` (`options` as its fields: settings, replicas) on a prefix of its own, started
    by `start`; stopped afterwards and its broker topology deleted, whatever the test did."""
    running = Platform(
        rabbitmq_url, prefix=f"e2e-{uuid.uuid4().hex[:8]}", data_dir=data_dir, **options
    )
    try:
        await asyncio.to_thread(start, running)
        yield running
    finally:
        await asyncio.to_thread(running.stop)
        await delete_topology(rabbitmq_url, Topology(running.prefix), SERVICES)


RT = "16.73.02.1019/007"  # an RT of Pelita Jaya, Lubuk Linggau Barat I
KELURAHAN = "16.73.02.1019"


def auth(role: str, wilayah: str | None) -> dict[str, str]:
    """Headers with a development token, signed as the services started by `Platform` expect."""
    return bearer(role, wilayah)


def report_body(title: str = "Kerja bakti membersihkan saluran air") -> dict[str, object]:
    return {
        "kind": "kegiatan",
        "bidang": "kesehatan_lingkungan",
        "title": title,
        "description": "Warga RT 007 bergotong royong membersihkan saluran air.",
        "activity_date": date.today().isoformat(),
    }


async def new_account(
    gateway: httpx.AsyncClient, name: str, role: str, wilayah: str | None, phone: str | None = None
) -> tuple[str, str]:
    """An account made by the admin (a development token): its phone number and one-time
    activation code."""
    phone = phone or f"0812{uuid.uuid4().int % 10**8:08d}"
    created = await gateway.post(
        "/v1/accounts",
        json={"name": name, "phone": phone, "role": role, "wilayah": wilayah},
        headers=auth("admin", None),
    )
    assert created.status_code == 201, created.text
    return phone, created.json()["activation_code"]


async def activated_account(
    gateway: httpx.AsyncClient,
    name: str,
    role: str,
    wilayah: str | None,
    password: str,
    phone: str | None = None,
) -> str:
    """An account made by the admin and activated through the API with `password`; its phone."""
    phone, code = await new_account(gateway, name, role, wilayah, phone)
    activated = await gateway.post(
        "/v1/auth/activate", json={"phone": phone, "code": code, "password": password}
    )
    assert activated.status_code == 200, activated.text
    return phone


@contextlib.asynccontextmanager
async def sse(url: str, headers: dict[str, str]) -> AsyncIterator[list[dict[str, Any]]]:
    """Reads a server-sent event stream in the background into a list of {event, data}."""
    received: list[dict[str, Any]] = []

    async def read() -> None:
        async with (
            httpx.AsyncClient(timeout=None) as client,
            client.stream("GET", url, headers=headers) as answer,
        ):
            assert answer.headers["content-type"].startswith("text/event-stream")
            event: dict[str, Any] = {}
            async for line in answer.aiter_lines():
                if not line:
                    if "data" in event:
                        received.append(event)
                    event = {}
                elif not line.startswith(":"):
                    field, _, value = line.partition(":")
                    event[field] = json.loads(value) if field == "data" else value.strip()

    task = asyncio.create_task(read())
    try:
        await eventually(lambda: any(e.get("event") == "ready" for e in received), timeout=30)
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
