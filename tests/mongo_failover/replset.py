"""A three-member MongoDB replica set to fail over: local `mongod` processes, Docker containers
(testcontainers), or one the operator names (`--url`, failed over by stepping its primary down).

Every member is named in the set's config by an address that both the other members and this
process reach, because the driver connects to the names the config gives (`replicaSet=rs0`):

- mongod: three processes on 127.0.0.1, free ports, temporary dbpaths.
- Docker: three mongod containers sharing the network namespace of a fourth, idle container that
  publishes the three ports on the same host ports (a Kubernetes pod's layout). On a Docker
  network each member would be `m0:27017` to the others but unreachable under that name from the
  host; in one namespace each is `<docker host>:<port>` to everyone. Killing a member's container
  leaves the namespace (held by the idle one) in place, and `docker start` brings the member
  back with its data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pymongo import AsyncMongoClient, ReadPreference
from pymongo.errors import PyMongoError

from sipokat.events.testing.containers import docker_available
from sipokat.events.testing.stores import MONGODB_IMAGE

SET_NAME = "rs0"
HEALTHY = frozenset({"PRIMARY", "SECONDARY", "ARBITER"})


class Unavailable(Exception):
    """No replica set can be had here (no mongod, no Docker, no --url)."""


@dataclass(frozen=True)
class MemberState:
    name: str  # host:port as in the set's config
    state: str  # replSetGetStatus's stateStr: PRIMARY, SECONDARY, ROLLBACK, ...
    healthy: bool


class ReplicaSet(Protocol):
    @property
    def url(self) -> str: ...

    description: str

    async def start(self) -> None: ...

    async def fail_primary(self) -> str:
        """Kill (or step down) the current primary; returns its name."""
        ...

    async def recover(self, name: str) -> None:
        """Bring a failed member back (it rejoins and rolls back what it must)."""
        ...

    async def status(self) -> list[MemberState]: ...

    async def stop(self) -> None: ...


async def _command(address: str, *command: Any, timeout_ms: int = 2000, **kw: Any) -> Any:
    """An admin command on one member (`host:port`, directly: it may not be initiated yet, or
    be a secondary) or on a set (a `mongodb://` URL, as it says)."""
    url = address if "://" in address else f"mongodb://{address}/?directConnection=true"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        appname="sipokat-failover",
    )
    try:
        return await client.admin.command(*command, **kw)
    finally:
        await client.close()


def _parse_status(reply: dict[str, Any]) -> list[MemberState]:
    return [
        MemberState(m["name"], str(m.get("stateStr", "?")), m.get("health", 0) == 1)
        for m in reply.get("members", [])
    ]


async def wait_for(
    status: Callable[[], Awaitable[list[MemberState]]],
    what: str,
    ready: Callable[[list[MemberState]], bool],
    seconds: float = 120.0,
) -> list[MemberState]:
    """Poll the set's status until `ready(states)`; raise with the last states after `seconds`."""
    deadline = time.monotonic() + seconds
    states: list[MemberState] = []
    while True:
        states = await status()
        if states and ready(states):
            return states
        if time.monotonic() > deadline:
            shown = ", ".join(f"{s.name} {s.state}" for s in states) or "no member answers"
            raise RuntimeError(f"the replica set did not {what} in {seconds:g} s ({shown})")
        await asyncio.sleep(0.5)


def primary_of(states: Sequence[MemberState]) -> str | None:
    return next((s.name for s in states if s.state == "PRIMARY" and s.healthy), None)


def all_healthy(states: Sequence[MemberState]) -> bool:
    return all(s.healthy and s.state in HEALTHY for s in states) and primary_of(states) is not None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mongod_path() -> str | None:
    """`MONGOD`, else `mongod` on PATH."""
    named = os.environ.get("MONGOD")
    if named:
        return named if os.access(named, os.X_OK) else None
    return shutil.which("mongod")


class _Started:
    """What the sets this script starts share: members by name, initiation, status through any
    member that answers (directly: while there is no primary, a set URL finds no server)."""

    members: list[str]

    @property
    def url(self) -> str:
        return f"mongodb://{','.join(self.members)}/?replicaSet={SET_NAME}"

    async def status(self) -> list[MemberState]:
        for name in self.members:
            try:
                return _parse_status(await _command(name, "replSetGetStatus", timeout_ms=1000))
            except PyMongoError:
                continue
        return []

    async def _initiate(self) -> None:
        # Every member must answer first: the initiating one refuses a config whose members do
        # not all respond ("quorum check failed").
        deadline = time.monotonic() + 60
        for name in self.members:
            while True:
                try:
                    await _command(name, "ping")
                    break
                except PyMongoError:
                    self._check_running()
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.5)
        # The first member is the chosen first primary; once it has failed and come back it
        # takes the primary back after catching up (a priority takeover: an orderly step-down
        # under the writers, after the kill's election).
        config = {
            "_id": SET_NAME,
            "members": [
                {"_id": i, "host": name, "priority": 2 if i == 0 else 1}
                for i, name in enumerate(self.members)
            ],
        }
        await _command(self.members[0], "replSetInitiate", config, timeout_ms=30000)
        await wait_for(self.status, "elect a primary and sync every member", all_healthy, 180)

    def _check_running(self) -> None:
        """Raise, saying why, when a member has exited instead of starting."""

    async def _primary_index(self) -> int:
        states = await wait_for(self.status, "have a primary", lambda s: primary_of(s) is not None)
        return self.members.index(str(primary_of(states)))


class LocalReplicaSet(_Started):
    """Three `mongod` processes on 127.0.0.1 with temporary dbpaths (removed on stop)."""

    def __init__(self, mongod: str, *, keep: bool = False) -> None:
        self.mongod = mongod
        self.keep = keep
        self.workdir = Path(tempfile.mkdtemp(prefix="sipokat-failover-"))
        self.ports = [free_port() for _ in range(3)]
        self.members = [f"127.0.0.1:{port}" for port in self.ports]
        self.processes: list[subprocess.Popen[bytes] | None] = [None, None, None]
        self.description = f"3 local mongod processes ({mongod}), data in {self.workdir}"

    def _spawn(self, i: int) -> None:
        dbpath = self.workdir / f"m{i}"
        dbpath.mkdir(exist_ok=True)
        self.processes[i] = subprocess.Popen(
            [
                self.mongod,
                "--replSet", SET_NAME,
                "--port", str(self.ports[i]),
                "--bind_ip", "127.0.0.1",
                "--dbpath", str(dbpath),
                "--logpath", str(dbpath / "mongod.log"),
                "--logappend",
                "--oplogSize", "128",
                "--wiredTigerCacheSizeGB", "0.25",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    async def start(self) -> None:
        for i in range(3):
            self._spawn(i)
        await self._initiate()

    def _check_running(self) -> None:
        for i, process in enumerate(self.processes):
            if process is not None and process.poll() is not None:
                log = self.workdir / f"m{i}" / "mongod.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
                raise RuntimeError(f"mongod {self.members[i]} exited {process.returncode}: {tail}")

    async def fail_primary(self) -> str:
        i = await self._primary_index()
        process = self.processes[i]
        assert process is not None
        process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process.wait)
        return self.members[i]

    async def recover(self, name: str) -> None:
        self._spawn(self.members.index(name))

    def rolled_back_files(self) -> int:
        """Files mongod wrote of the documents it rolled back (`<dbpath>/rollback/`)."""
        return sum(1 for path in self.workdir.glob("m*/rollback/**/*") if path.is_file())

    async def stop(self) -> None:
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in self.processes:
            if process is None:
                continue
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


class DockerReplicaSet(_Started):
    """Three mongod containers in the network namespace of an idle fourth (see the module)."""

    def __init__(self, image: str = MONGODB_IMAGE) -> None:
        self.image = image
        self.ports = [free_port() for _ in range(3)]
        self.members: list[str] = []
        self.pod: Any = None
        self.containers: list[Any] = []
        self.description = f"3 {image} containers (Docker, testcontainers)"

    def _start_containers(self) -> None:
        from testcontainers.core.container import DockerContainer

        pod = DockerContainer(self.image).with_command("sleep infinity")
        for port in self.ports:
            pod = pod.with_bind_ports(port, port)
        self.pod = pod.start()
        host = self.pod.get_container_host_ip()
        self.members = [f"{host}:{port}" for port in self.ports]
        for port in self.ports:
            member = (
                DockerContainer(self.image)
                .with_command(
                    f"--replSet {SET_NAME} --bind_ip_all --port {port} "
                    "--oplogSize 128 --wiredTigerCacheSizeGB 0.25"
                )
                # `network=None` keeps testcontainers from adding its own network (inside
                # Docker), which the engine refuses beside a `container:` network mode.
                .with_kwargs(network=None, network_mode=f"container:{self.pod.get_container_id()}")
            )
            self.containers.append(member.start())

    async def start(self) -> None:
        try:
            await asyncio.to_thread(self._start_containers)
        except BaseException:
            await self.stop()
            raise
        await self._initiate()

    async def fail_primary(self) -> str:
        i = await self._primary_index()
        await asyncio.to_thread(self.containers[i].get_wrapped_container().kill)  # SIGKILL
        return self.members[i]

    async def recover(self, name: str) -> None:
        container = self.containers[self.members.index(name)].get_wrapped_container()
        await asyncio.to_thread(container.start)

    async def stop(self) -> None:
        def remove() -> None:
            for container in [*self.containers, self.pod]:
                if container is not None:
                    container.stop()

        await asyncio.to_thread(remove)


class ExternalReplicaSet:
    """A replica set the operator runs (`--url`): its primary is stepped down, not killed."""

    def __init__(self, url: str, *, failover: bool = True) -> None:
        self.url = url
        self.failover = failover
        self.description = f"the replica set at {_redact(url)} (primary stepped down, not killed)"

    async def start(self) -> None:
        reply = await _command(self.url, "replSetGetConfig", timeout_ms=10000)
        electable = [
            m
            for m in reply["config"]["members"]
            if m.get("priority", 1) > 0 and not m.get("arbiterOnly", False)
        ]
        if self.failover and len(electable) < 2:
            raise Unavailable(
                f"{_redact(self.url)} has {len(electable)} electable member(s): a failover needs "
                "two at least (the proof is meant for three); use --kills 0 to run only the suite"
            )
        await wait_for(self.status, "have every member healthy", all_healthy)

    async def status(self) -> list[MemberState]:
        try:
            # Any member answers: during an election there is no primary to ask.
            reply = await _command(
                self.url, "replSetGetStatus", read_preference=ReadPreference.NEAREST
            )
            return _parse_status(reply)
        except PyMongoError:
            return []

    async def fail_primary(self) -> str:
        states = await wait_for(self.status, "have a primary", lambda s: primary_of(s) is not None)
        primary = str(primary_of(states))
        # Not electable for 30 s; secondaries get 10 s to catch up first. A server before 4.2
        # drops its connections as it steps down, failing the command that worked.
        with contextlib.suppress(PyMongoError):
            await _command(
                self.url,
                "replSetStepDown",
                30,
                secondaryCatchUpPeriodSecs=10,
                timeout_ms=20000,
            )
        return primary

    async def recover(self, name: str) -> None:
        return None  # a stepped-down member is already back as a secondary

    async def stop(self) -> None:
        return None


def _redact(url: str) -> str:
    _, at, tail = url.rpartition("@")
    return f"mongodb://***@{tail}" if at else url


def choose(url: str | None, *, keep: bool = False, failover: bool = True) -> ReplicaSet:
    """--url, else mongod (MONGOD or PATH), else Docker; `Unavailable` when none is there."""
    if url:
        return ExternalReplicaSet(url, failover=failover)
    mongod = mongod_path()
    if mongod:
        return LocalReplicaSet(mongod, keep=keep)
    if os.environ.get("MONGOD"):
        raise Unavailable(f"MONGOD={os.environ['MONGOD']} is not an executable file")
    if docker_available():
        return DockerReplicaSet()
    raise Unavailable(
        "no replica set to fail over: no mongod on PATH (or MONGOD=/path/to/mongod), no Docker "
        "engine for testcontainers, and no --url mongodb://host1,host2,host3/?replicaSet=NAME"
    )
