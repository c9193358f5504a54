"""Runs the four services as real processes, as `make run` does, on free ports.

Each platform gets its own broker prefix and data directory, so tests never touch a running
`sipokat.*` platform on the same broker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx

from sipokat.runtime.testing import bearer

SERVICES = ("intake", "verification", "analytics", "notification")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Platform:
    rabbitmq_url: str
    prefix: str
    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: {s: free_port() for s in SERVICES})
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str = "intake") -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self, service: str) -> dict[str, str]:
        return {
            **os.environ,
            "RABBITMQ_URL": self.rabbitmq_url,
            "SIPOKAT_BROKER_PREFIX": self.prefix,
            "SIPOKAT_DATA_DIR": str(self.data_dir),
            "SIPOKAT_STORE_BACKEND": "sqlite",
            "SIPOKAT_HTTP_PORT": str(self.ports[service]),
            "SIPOKAT_VERIFICATION_URL": self.url("verification"),
            "SIPOKAT_ANALYTICS_URL": self.url("analytics"),
            "SIPOKAT_NOTIFICATION_URL": self.url("notification"),
        }

    def start(self, *services: str) -> None:
        for service in services or SERVICES:
            log = (self.data_dir / f"{service}.log").open("ab")
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", "sipokat.runtime.serve", service],
                env=self.env(service),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for service in services or SERVICES:
            self.wait_until_ready(service)

    def wait_until_ready(self, service: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(f"{service} exited: {self.log_tail(service)}")
            try:
                if httpx.get(self.url(service) + "/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{service} not ready after {timeout}s: {self.log_tail(service)}")

    def kill(self, service: str) -> None:
        """kill -9: no shutdown hook runs."""
        process = self.processes[service]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    def log_tail(self, service: str, lines: int = 30) -> str:
        path = self.data_dir / f"{service}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


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
