"""A RabbitMQ node of the fault tests' own, so they may stop, start and cut it at will.

The shared broker on 127.0.0.1:5672 serves everybody else's tests and platforms: stopping it
breaks them. The tests that stop the broker run against this node instead: its own name
(`sipokat-chaos-<pid>@localhost`), ports, data and log directories, Erlang cookie (a private
HOME) and no plugins. It is started once per pytest session, by the first test that asks for it,
and stopped (`rabbitmqctl stop`) at the end.

It is a `RabbitBroker`, so `stop_app()`, `start_app()` and `close_connections()` work as they do
on the shared broker, here with `rabbitmqctl -n <node>`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sipokat.events.testing import RabbitBroker, broker_error
from sipokat.runtime.testing import free_port

START_TIMEOUT = 180.0
# Debian's /usr/sbin entries are a wrapper that switches to the rabbitmq user (and its HOME,
# hence the shared node's cookie); the scripts it wraps run as anyone.
SCRIPT_DIRS = ("/usr/lib/rabbitmq/bin", "/usr/sbin", "/usr/local/sbin", "/opt/rabbitmq/sbin")


def rabbitmq_scripts() -> Path:
    """The directory of the real rabbitmq-server and rabbitmqctl scripts."""
    found = shutil.which("rabbitmq-server")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(d) for d in SCRIPT_DIRS]
    for directory in candidates:
        server = directory / "rabbitmq-server"
        if server.exists() and not server.resolve().name.endswith("script-wrapper"):
            return directory
    pytest.fail(
        "rabbitmq-server not found: the fault tests start a RabbitMQ node of their own "
        "(scripts/ensure-rabbitmq.sh installs it), or deselect them with -m 'not disruptive'",
        pytrace=False,
    )


@dataclass
class BrokerNode(RabbitBroker):
    """A private RabbitMQ node, started and stopped by the tests."""

    node: str = ""
    base: Path = field(default_factory=Path)
    scripts: Path = field(default_factory=Path)
    port: int = 0

    @classmethod
    def start(cls, base: Path) -> BrokerNode:
        base.mkdir(parents=True, exist_ok=True)
        port, dist_port = free_port(), free_port()
        node = cls(
            url=f"amqp://guest:guest@127.0.0.1:{port}/",
            node=f"sipokat-chaos-{os.getpid()}@localhost",
            base=base,
            scripts=rabbitmq_scripts(),
            port=port,
        )
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{port}\nloopback_users.guest = true\n"
        )
        (base / "rabbitmq-env.conf").write_text("")  # not the system's (NODENAME, ports...)
        env = node.env() | {"RABBITMQ_DIST_PORT": str(dist_port)}
        with (base / "startup.log").open("ab") as out:
            subprocess.run(
                [str(node.scripts / "rabbitmq-server"), "-detached"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=60,
            )
        node.await_startup()
        return node

    def env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")}
        return inherited | {
            "HOME": str(self.base),  # its own Erlang cookie, made at first start
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PID_FILE": str(self.base / "node.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def rabbitmqctl(self, *args: str, timeout: float = 120.0) -> str:
        done = subprocess.run(
            [str(self.scripts / "rabbitmqctl"), "-n", self.node, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"rabbitmqctl -n {self.node} {' '.join(args)} exited {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()[-2000:]}"
            )
        return done.stdout

    def await_startup(self) -> None:
        # A detached node takes a moment to register with epmd; until then await_startup
        # fails at once instead of waiting.
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.rabbitmqctl("await_startup", "--timeout", "60", timeout=90)
                break
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{self.node} did not start: {exc}\n{self.log_tail()}"
                    ) from exc
                time.sleep(0.5)
        self.wait_until_reachable(timeout=60)

    def start_app(self) -> None:
        self.rabbitmqctl("start_app")
        self.rabbitmqctl("await_startup")

    def version(self) -> str:
        with contextlib.suppress(Exception):
            return self.rabbitmqctl("version").strip()
        return "unknown"

    def log_tail(self, lines: int = 40) -> str:
        logs = [*sorted((self.base / "log").glob("*.log")), self.base / "startup.log"]
        text = "".join(p.read_text(errors="replace") for p in logs if p.exists())
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the whole node (not only the app); kill it if it does not go."""
        try:
            self.rabbitmqctl("stop", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            pid_file = self.base / "node.pid"
            if pid_file.exists():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid_file.read_text().strip()), 9)


_shared: BrokerNode | None = None
_users = 0


@contextlib.contextmanager
def shared_node() -> Iterator[BrokerNode]:
    """The session's one node: the fixture may be imported into several modules (each import
    is a fixture definition of its own), and they all get this node; the last one stops it."""
    global _shared, _users
    if _shared is None or (broker_error(_shared.url) is not None and not _restart(_shared)):
        base = Path(tempfile.mkdtemp(prefix="sipokat-chaos-node-"))
        _shared = BrokerNode.start(base)
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0:
            _shared.stop()
            shutil.rmtree(_shared.base, ignore_errors=True)
            _shared = None


def _restart(node: BrokerNode) -> bool:
    """A node whose app a failed test left stopped: start the app again."""
    try:
        node.start_app()
    except (RuntimeError, subprocess.TimeoutExpired):
        return False
    return True


@pytest.fixture(scope="session")
def chaos_broker() -> Iterator[BrokerNode]:
    """A RabbitMQ node of the fault tests' own (see the module's docstring)."""
    with shared_node() as node:
        yield node
