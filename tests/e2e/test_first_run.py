"""`sipokat run` on an empty data folder, as a new user runs it (on free ports): the banner
prints the first admin's one-time code, once; a person claims it through the gateway, signs in
and works as admin with identity's token; the next start prints no code."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import jwt
import pytest

from harness import SERVICES
from sipokat.events.broker.topology import Topology
from sipokat.events.testing import delete_topology

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.broker,
    pytest.mark.skipif("identity" not in SERVICES, reason="needs the identity service"),
]

CODE = re.compile(r"^\s+([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\s*$")
PASSWORD = "teh-manis-hangat"
PHONE = "0812-7000-0001"


def free_base_port() -> int:
    """A port from which five in a row are free (the launcher's services take them in turn)."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000)
        try:
            for port in range(base, base + 5):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no five free ports in a row")


class Launcher:
    """`sipokat run` in a terminal: its output (banner and the services' logs) as it comes."""

    def __init__(self, env: dict[str, str], base_port: int) -> None:
        self.lines: list[str] = []
        self.banner = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sipokat.ops.cli", "run", "--base-port", str(base_port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # Its own process group: a launcher that must be killed takes its services along,
            # not leaving them running past the test (seen on a loaded machine).
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:  # drained always: the services log to the same pipe
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if "Press Ctrl-C to stop." in line:
                self.banner.set()

    def wait_for_banner(self, timeout: float = 120) -> None:
        if not self.banner.wait(timeout):
            raise TimeoutError("no banner:\n" + "\n".join(self.lines[-40:]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def codes(self) -> list[str]:
        return [m.group(1) for line in self.lines if (m := CODE.match(line))]


Run = Callable[[], AbstractAsyncContextManager[Launcher]]


@pytest.fixture
async def launch(rabbitmq_url: str, tmp_path: Path) -> AsyncIterator[Run]:
    prefix = f"e2e-{uuid.uuid4().hex[:8]}"
    base = free_base_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SIPOKAT_")},
        "RABBITMQ_URL": rabbitmq_url,
        "SIPOKAT_BROKER_PREFIX": prefix,
        "SIPOKAT_DATA_DIR": str(tmp_path / "var"),  # empty: the first run
        "SIPOKAT_DIGEST_ENABLED": "false",
        "SIPOKAT_JWT_DEV_TOKENS": "false",  # nothing but identity's tokens get in
    }

    @asynccontextmanager
    async def run() -> AsyncIterator[Launcher]:
        launcher = Launcher(env, base)
        try:
            await asyncio.to_thread(launcher.wait_for_banner)
            yield launcher
        finally:
            await asyncio.to_thread(launcher.stop)

    try:
        yield run
    finally:
        await delete_topology(rabbitmq_url, Topology(prefix), SERVICES)


def gateway_of(launcher: Launcher) -> str:
    found = [line for line in launcher.lines if line.strip().startswith("Gateway:")]
    assert found, launcher.lines
    return found[0].split()[1]


async def test_the_first_run_prints_a_code_that_makes_the_first_admin(launch: Run) -> None:
    async with launch() as launcher:
        codes = launcher.codes()
        assert len(codes) == 1, "\n".join(launcher.lines[-40:])
        code = codes[0]
        output = "\n".join(launcher.lines)
        # Shown once: in the banner (and its claim command), in no service's log line.
        assert not [line for line in launcher.lines if code in line and line.startswith("{")]
        assert "First sign-in" in output and "sipokat token" in output

        async with httpx.AsyncClient(base_url=gateway_of(launcher), timeout=15) as gateway:
            claimed = await gateway.post(
                "/v1/auth/first-admin",
                json={"code": code, "name": "Ibu Admin", "phone": PHONE, "password": PASSWORD},
            )
            assert claimed.status_code == 201, claimed.text
            again = await gateway.post(
                "/v1/auth/first-admin",
                json={
                    "code": code,
                    "name": "Someone Else",
                    "phone": "0812-7000-0002",
                    "password": PASSWORD,
                },
            )
            assert again.status_code == 401, again.text

            signed_in = await gateway.post(
                "/v1/auth/signin", json={"phone": PHONE, "password": PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            token = signed_in.json()["access_token"]
            assert jwt.get_unverified_header(token)["alg"] == "RS256"
            admin = {"Authorization": f"Bearer {token}"}
            me = await gateway.get("/v1/accounts/me", headers=admin)
            assert me.status_code == 200 and me.json()["post"]["role"] == "admin", me.text
            # The admin gets on with it: a lurah's account, with its own one-time code.
            lurah = await gateway.post(
                "/v1/accounts",
                json={
                    "name": "Pak Lurah",
                    "phone": "0812-7000-0003",
                    "role": "lurah",
                    "wilayah": "16.73.02.1019",
                },
                headers=admin,
            )
            assert lurah.status_code == 201, lurah.text

    # The next start: an admin exists, no code is printed.
    async with launch() as launcher:
        assert launcher.codes() == []
        output = "\n".join(launcher.lines)
        assert "First sign-in" not in output and "/v1/auth/signin" in output
