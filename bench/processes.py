"""The four services as real processes on free ports, for benchmarks.

A lean copy of what tests/harness.py does (that module belongs to the test suite and changes with
it): one fresh `bench-<hex>` broker prefix and data directory per run, SQLite stores, and a
`close()` that stops every process and deletes the topology, also after a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from sipokat.events.broker.topology import Topology
from sipokat.events.testing import DEFAULT_RABBITMQ_URL, PLATFORM_SERVICES, delete_topology
from sipokat.runtime.testing import free_port, log_tail, stop_processes

SERVICES = PLATFORM_SERVICES  # intake, verification, analytics, notification


def clean_up_on_sigterm() -> None:
    """`timeout` and `kill` send SIGTERM, which by default ends Python without running `finally`:
    turn it into SystemExit so the processes are stopped and the topology is deleted."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class Platform:
    """`services`: the four by default; with "identity" among them, every service trusts its
    tokens (as `make run` starts them), for benchmarks that sign in."""

    def __init__(
        self, settings: dict[str, str] | None = None, services: tuple[str, ...] = SERVICES
    ) -> None:
        self.rabbitmq_url = os.environ.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
        self.topology = Topology(f"bench-{uuid.uuid4().hex[:8]}")
        self.data_dir = Path(tempfile.mkdtemp(prefix="sipokat-bench-"))
        self.services = services
        self.ports = {service: free_port() for service in services}
        self.settings = settings or {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self, service: str) -> dict[str, str]:
        return {
            **os.environ,
            "RABBITMQ_URL": self.rabbitmq_url,
            "SIPOKAT_BROKER_PREFIX": self.topology.prefix,
            "SIPOKAT_DATA_DIR": str(self.data_dir),
            "SIPOKAT_STORE_BACKEND": "sqlite",
            "SIPOKAT_HTTP_PORT": str(self.ports[service]),
            "SIPOKAT_LOG_LEVEL": "WARNING",  # a log line per request would be part of the load
            "SIPOKAT_VERIFICATION_URL": self.url("verification"),
            "SIPOKAT_ANALYTICS_URL": self.url("analytics"),
            "SIPOKAT_NOTIFICATION_URL": self.url("notification"),
            **self.identity_env(),
            **self.settings,
        }

    def identity_env(self) -> dict[str, str]:
        """Without an identity service of its own, the platform trusts none (not one a developer
        runs on the default port)."""
        if "identity" not in self.ports:
            return {}
        url = self.url("identity")
        return {
            "SIPOKAT_IDENTITY_URL": url,
            "SIPOKAT_IDENTITY_JWKS_URL": f"{url}/.well-known/jwks.json",
        }

    def start(self, *services: str, timeout: float = 90) -> None:
        """Start the named services (default all four) and wait until each answers /health/live.
        Not /health/ready: with a backlog in its queue a service is not ready, by design."""
        names = services or self.services
        for service in names:
            log = (self.data_dir / f"{service}.log").open("ab")
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", "sipokat.runtime.serve", service],
                env=self.env(service),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for service in names:
            self.wait_live(service, timeout)

    def wait_live(self, service: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[service].poll() is not None:
                raise RuntimeError(f"{service} exited:\n{self.log_tail(service)}")
            try:
                if httpx.get(f"{self.url(service)}/health/live", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{service} not live after {timeout}s:\n{self.log_tail(service)}")

    def ready_checks(self, service: str) -> dict[str, Any]:
        body = httpx.get(f"{self.url(service)}/health/ready", timeout=10).json()
        checks: dict[str, Any] = body.get("checks", {})
        return checks

    def event_delay_buckets(self, service: str) -> list[tuple[float, float]]:
        """The consumer's `sipokat_event_delay_seconds`: (upper bound, cumulative count)."""
        text = httpx.get(f"{self.url(service)}/metrics", timeout=10).text
        return [
            (float(sample.labels["le"]), sample.value)
            for family in text_string_to_metric_families(text)
            if family.name == "sipokat_event_delay_seconds"
            for sample in family.samples
            if sample.name.endswith("_bucket")
        ]

    def check_running(self) -> None:
        """Raise, with its log's tail, if a service has exited."""
        for service, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{service} exited with {process.returncode}:\n{self.log_tail(service)}"
                )

    def process(self, service: str) -> psutil.Process:
        return psutil.Process(self.processes[service].pid)

    def log_tail(self, service: str, lines: int = 30) -> str:
        return log_tail(self.data_dir / f"{service}.log", lines)

    def stop(self) -> None:
        stop_processes(self.processes.values(), timeout=20)

    def close(self, keep_logs: bool = False) -> None:
        """Stop the processes, delete the topology and the data directory; with `keep_logs`
        (after a failure), the services' logs are copied out first and their place printed."""
        try:
            self.stop()
        finally:
            if keep_logs:
                kept = Path(tempfile.gettempdir()) / f"{self.topology.prefix}-logs"
                kept.mkdir(exist_ok=True)
                for log in self.data_dir.glob("*.log"):
                    shutil.copy(log, kept / log.name)
                print(f"the services' logs are kept in {kept}", file=sys.stderr)
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.delete_topology()

    def delete_topology(self, patience: float = 120) -> None:
        """Retried while the broker is away: other test runs on this machine restart it."""
        deadline = time.monotonic() + patience
        while True:
            try:
                asyncio.run(delete_topology(self.rabbitmq_url, self.topology, self.services))
                return
            except (OSError, aio_pika.exceptions.AMQPError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
