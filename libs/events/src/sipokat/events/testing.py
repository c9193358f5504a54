"""Test support for code built on `sipokat.events`: fixtures, builders and polling helpers.

Fixtures (function scope unless said):

- `rabbitmq_url` (session): `RABBITMQ_URL`, default `amqp://guest:guest@127.0.0.1/`; when that
  broker does not answer and Docker runs, a testcontainers RabbitMQ. Neither: the test FAILS
  (DESIGN §8: a missing broker is a failure, never a skip).
- `rabbitmq_broker` (session): the same broker with `stop_app()` / `start_app()` for fault tests.
- `topology`: a `TrackedTopology` with a unique `test-<hex>` prefix, so tests never touch the
  production `sipokat.*` names; on teardown every exchange and queue it named is deleted.
- `store_backend`: "sqlite" and "mongodb" (the latter skipped, with the reason, when there is no
  `MONGODB_URL` and no Docker). Override it in a conftest to pin one backend.
- `database_factory`: opens handles on one fresh store of `store_backend` (a SQLite file in
  tmp_path, or a fresh MongoDB database dropped afterwards); every handle is closed on teardown.
- `database`: the first handle of `database_factory`; `sqlite_database`: always SQLite.

Helpers: `eventually` (poll until true), `running` (run relays/consumers in the background),
`delete_topology`, and builders of valid envelopes for every event type (`make_submitted`, ...).

Load it from the top-level conftest (`pytest_plugins = ["sipokat.events.testing"]`); pytest refuses
`pytest_plugins` in a conftest below the rootdir, so there import the fixtures by name instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar, overload
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import aio_pika
import pytest
import pytest_asyncio

from sipokat.events.broker.topology import Topology
from sipokat.events.catalogue import (
    Bidang,
    BidangDana,
    FundProgress,
    PhotoRef,
    RejectionReason,
    ReportApproved,
    ReportContent,
    ReportKind,
    ReportRejected,
    ReportRevised,
    ReportSubmitted,
    ReportVerified,
    Tier,
    VerificationOverdue,
    Verifier,
    WilayahPath,
)
from sipokat.events.envelope import Actor, Envelope, EventData, Role, utc_now
from sipokat.events.store.base import Database

T = TypeVar("T")

DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1/"
PLATFORM_SERVICES = ("intake", "verification", "analytics", "notification")
RABBITMQ_IMAGE = "rabbitmq:3.13"
MONGODB_IMAGE = "mongo:7.0"

# ---------------------------------------------------------------- polling and running


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T],
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> T: ...


async def eventually(
    check: Callable[[], T | Awaitable[T]],
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> T:
    """Call `check` (sync or async) until it returns something truthy, and return that.

    Fails the test with `message` (or the last falsy value / exception) after `timeout` seconds.
    An exception raised by `check` counts as "not yet".
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            last = result
        except Exception as exc:  # not yet: keep polling, report it if it never passes
            last = exc
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(
                f"not true after {timeout}s: {text or 'condition'} (last result: {last!r})"
            )
        await asyncio.sleep(interval)


class Runnable(Protocol):
    async def run(self, stop: asyncio.Event) -> None: ...


@contextlib.asynccontextmanager
async def running(*runners: Runnable, stop_timeout: float = 20.0) -> AsyncIterator[asyncio.Event]:
    """Run relays and consumers (anything with `run(stop)`) until the block ends.

    Yields the shared stop event. On exit it is set and every runner must return within
    `stop_timeout`; a runner that crashed makes the test fail with its exception.
    """
    stop = asyncio.Event()
    tasks = [asyncio.create_task(runner.run(stop)) for runner in runners]
    try:
        yield stop
    finally:
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=stop_timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            raise AssertionError(f"{len(pending)} runner(s) did not stop within {stop_timeout}s")
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise AssertionError("a runner crashed") from task.exception()


# ---------------------------------------------------------------- RabbitMQ


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


def docker_available() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


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


# ---------------------------------------------------------------- stores


def _mongodb_container() -> tuple[str, Any]:
    """A single-node replica set (transactions need one) in Docker; returns (url, container)."""
    from pymongo import MongoClient
    from testcontainers.core.container import DockerContainer

    container = (
        DockerContainer(MONGODB_IMAGE)
        .with_command("--replSet rs0 --bind_ip_all --port 27017")
        .with_exposed_ports(27017)
    )
    container.start()
    try:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(27017)
        url = f"mongodb://{host}:{port}/?directConnection=true"
        client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=2000)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.admin.command("ping")
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            # The member's own address is what the container sees; we connect directly.
            client.admin.command(
                "replSetInitiate",
                {"_id": "rs0", "members": [{"_id": 0, "host": "localhost:27017"}]},
            )
            while not client.admin.command("hello").get("isWritablePrimary"):
                if time.monotonic() > deadline:
                    raise RuntimeError("the MongoDB replica set elected no primary")
                time.sleep(0.5)
        finally:
            client.close()
    except BaseException:
        container.stop()
        raise
    return url, container


@pytest.fixture(scope="session")
def mongodb_url() -> Iterator[str]:
    """`MONGODB_URL` (a replica set), or a testcontainers one where Docker runs; else skip."""
    url = os.environ.get("MONGODB_URL")
    if url:
        yield url
        return
    if not docker_available():
        pytest.skip(
            "MongoDB tests need MONGODB_URL (a replica set: the store uses transactions) or "
            "Docker for a testcontainers MongoDB; neither is available here"
        )
    url, container = _mongodb_container()
    try:
        yield url
    finally:
        container.stop()


DatabaseFactory = Callable[[], Awaitable[Database]]


@pytest.fixture(
    params=["sqlite", pytest.param("mongodb", marks=pytest.mark.mongodb)],
)
def store_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture
async def database_factory(
    store_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[DatabaseFactory]:
    """Opens new handles on this test's one store (two handles = two processes' connections)."""
    handles: list[Database] = []
    cleanup: Callable[[], Awaitable[None]] | None = None

    if store_backend == "sqlite":
        from sipokat.events.store.sqlite import SqliteDatabase

        path = tmp_path / "store.db"

        async def open_handle() -> Database:
            return await SqliteDatabase.open(path)

    elif store_backend == "mongodb":
        from pymongo import AsyncMongoClient

        from sipokat.events.store.mongo import MongoDatabase

        url: str = request.getfixturevalue("mongodb_url")
        name = f"test_{uuid4().hex[:16]}"

        async def open_handle() -> Database:
            return await MongoDatabase.open(url, name)

        async def drop() -> None:
            client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
            try:
                await client.drop_database(name)
            finally:
                await client.close()

        cleanup = drop
    else:
        raise ValueError(f"unknown store backend {store_backend!r}")

    async def factory() -> Database:
        handle = await open_handle()
        handles.append(handle)
        return handle

    yield factory
    for handle in handles:
        with contextlib.suppress(Exception):
            await handle.close()
    if cleanup is not None:
        await cleanup()


@pytest_asyncio.fixture
async def database(database_factory: DatabaseFactory) -> Database:
    return await database_factory()


@pytest_asyncio.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    from sipokat.events.store.sqlite import SqliteDatabase

    db = await SqliteDatabase.open(tmp_path / "sqlite.db")
    yield db
    await db.close()


# ---------------------------------------------------------------- builders

KOTA = ("16.73", "Kota Lubuk Linggau")
KECAMATAN = ("16.73.02", "Lubuk Linggau Barat I")
KELURAHAN = ("16.73.02.1019", "Pelita Jaya")
RT_CODE = "16.73.02.1019/007"

SOURCE_INTAKE = "intake"
SOURCE_VERIFICATION = "verification"


def wilayah_path(rt_code: str = RT_CODE) -> WilayahPath:
    """The path of an RT in Pelita Jaya, Lubuk Linggau Barat I (`rt_code` may name another RT
    number there, e.g. 16.73.02.1019/003)."""
    return WilayahPath(
        kota_code=KOTA[0],
        kota_name=KOTA[1],
        kecamatan_code=KECAMATAN[0],
        kecamatan_name=KECAMATAN[1],
        kelurahan_code=KELURAHAN[0],
        kelurahan_name=KELURAHAN[1],
        rt_code=rt_code,
    )


def ketua_rt(rt_code: str = RT_CODE) -> Actor:
    return Actor(subject=f"ketua-rt:{rt_code}", role=Role.KETUA_RT, wilayah=rt_code)


def verifier_actor(tier: Tier) -> Actor:
    role, wilayah = {
        Tier.KELURAHAN: (Role.LURAH, KELURAHAN[0]),
        Tier.KECAMATAN: (Role.CAMAT, KECAMATAN[0]),
        Tier.KOTA: (Role.PEMKOT, KOTA[0]),
    }[tier]
    return Actor(subject=f"{role}:{wilayah}", role=role, wilayah=wilayah)


def make_content(
    kind: ReportKind = ReportKind.KEGIATAN,
    *,
    bidang: Bidang = Bidang.KESEHATAN_LINGKUNGAN,
    title: str = "Gotong royong membersihkan saluran air",
    **overrides: Any,
) -> ReportContent:
    fields: dict[str, Any] = {
        "kind": kind,
        "bidang": bidang,
        "title": title,
        "description": "Warga RT 007 membersihkan parit sepanjang Jalan Pelita.",
        "activity_date": date(2026, 3, 14),
        "photos": [PhotoRef(sha256="ab" * 32, content_type="image/jpeg")],
    }
    if kind is ReportKind.PROGRES_DANA:
        fields["fund"] = FundProgress(
            programme="Prodamas 2026",
            amount_rupiah=50_000_000,
            progress_percent=50,
            bidang_dana=BidangDana.INFRASTRUKTUR,
        )
    fields.update(overrides)
    return ReportContent(**fields)


def _wrap(
    data: EventData,
    *,
    stream_version: int,
    source: str,
    actor: Actor,
    correlation_id: str | None,
    causation_id: UUID | None,
    event_id: UUID | None,
) -> Envelope:
    envelope = Envelope.wrap(
        data,
        stream_version=stream_version,
        source=source,
        actor=actor,
        correlation_id=correlation_id or f"req-{uuid4().hex[:12]}",
        causation_id=causation_id,
    )
    if event_id is not None:
        envelope = envelope.model_copy(update={"event_id": event_id})
    return envelope


def make_submitted(
    report_id: UUID | None = None,
    *,
    stream_version: int = 1,
    rt_code: str = RT_CODE,
    kind: ReportKind = ReportKind.KEGIATAN,
    content: ReportContent | None = None,
    event_id: UUID | None = None,
    correlation_id: str | None = None,
    causation_id: UUID | None = None,
) -> Envelope:
    data = ReportSubmitted(
        report_id=report_id or uuid4(),
        wilayah=wilayah_path(rt_code),
        content=content or make_content(kind),
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_INTAKE,
        actor=ketua_rt(rt_code),
        correlation_id=correlation_id,
        causation_id=causation_id,
        event_id=event_id,
    )


def make_revised(
    report_id: UUID,
    *,
    stream_version: int,
    revision: int = 1,
    rt_code: str = RT_CODE,
    content: ReportContent | None = None,
    event_id: UUID | None = None,
    correlation_id: str | None = None,
    causation_id: UUID | None = None,
) -> Envelope:
    data = ReportRevised(
        report_id=report_id,
        wilayah=wilayah_path(rt_code),
        revision=revision,
        content=content or make_content(title="Gotong royong (foto diperbaiki)"),
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_INTAKE,
        actor=ketua_rt(rt_code),
        correlation_id=correlation_id,
        causation_id=causation_id,
        event_id=event_id,
    )


_NEXT_TIER = {Tier.KELURAHAN: Tier.KECAMATAN, Tier.KECAMATAN: Tier.KOTA, Tier.KOTA: None}


def make_approved(
    report_id: UUID,
    *,
    stream_version: int,
    tier: Tier = Tier.KELURAHAN,
    rt_code: str = RT_CODE,
    event_id: UUID | None = None,
    correlation_id: str | None = None,
    causation_id: UUID | None = None,
) -> Envelope:
    decided = utc_now()
    next_tier = _NEXT_TIER[tier]
    data = ReportApproved(
        report_id=report_id,
        wilayah=wilayah_path(rt_code),
        tier=tier,
        verifier=Verifier(subject=verifier_actor(tier).subject, name="Verifikator"),
        note="Sesuai",
        counts_for_performance=True if next_tier is None else None,
        decided_at=decided,
        next_tier=next_tier,
        next_due_at=decided + timedelta(days=3) if next_tier else None,
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_VERIFICATION,
        actor=verifier_actor(tier),
        correlation_id=correlation_id,
        causation_id=causation_id,
        event_id=event_id,
    )


def make_rejected(
    report_id: UUID,
    *,
    stream_version: int,
    tier: Tier = Tier.KELURAHAN,
    reason: RejectionReason = RejectionReason.NO_EVIDENCE,
    rt_code: str = RT_CODE,
    event_id: UUID | None = None,
    correlation_id: str | None = None,
    causation_id: UUID | None = None,
) -> Envelope:
    data = ReportRejected(
        report_id=report_id,
        wilayah=wilayah_path(rt_code),
        tier=tier,
        verifier=Verifier(subject=verifier_actor(tier).subject),
        reason_code=reason,
        note="Foto kegiatan tidak terlihat jelas",
        decided_at=utc_now(),
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_VERIFICATION,
        actor=verifier_actor(tier),
        correlation_id=correlation_id,
        causation_id=causation_id,
        event_id=event_id,
    )


def make_verified(
    report_id: UUID,
    *,
    stream_version: int,
    rt_code: str = RT_CODE,
    content: ReportContent | None = None,
    event_id: UUID | None = None,
    correlation_id: str | None = None,
    causation_id: UUID | None = None,
) -> Envelope:
    data = ReportVerified(
        report_id=report_id,
        wilayah=wilayah_path(rt_code),
        final_tier=Tier.KOTA,
        counts_for_performance=True,
        verified_at=utc_now(),
        content=content or make_content(),
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_VERIFICATION,
        actor=verifier_actor(Tier.KOTA),
        correlation_id=correlation_id,
        causation_id=causation_id,
        event_id=event_id,
    )


def make_overdue(
    report_id: UUID,
    *,
    stream_version: int,
    tier: Tier = Tier.KELURAHAN,
    rt_code: str = RT_CODE,
    event_id: UUID | None = None,
    correlation_id: str | None = None,
    causation_id: UUID | None = None,
) -> Envelope:
    detected = utc_now()
    data = VerificationOverdue(
        report_id=report_id,
        wilayah=wilayah_path(rt_code),
        tier=tier,
        due_at=detected - timedelta(hours=1),
        detected_at=detected,
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_VERIFICATION,
        actor=Actor(subject="verification", role=Role.SYSTEM),
        correlation_id=correlation_id,
        causation_id=causation_id,
        event_id=event_id,
    )


def sample_events(report_id: UUID | None = None) -> list[Envelope]:
    """One valid envelope of every event type, as consecutive versions of one report's stream."""
    rid = report_id or uuid4()
    return [
        make_submitted(rid, stream_version=1),
        make_rejected(rid, stream_version=2),
        make_revised(rid, stream_version=3),
        make_overdue(rid, stream_version=4),
        make_approved(rid, stream_version=5, tier=Tier.KELURAHAN),
        make_approved(rid, stream_version=6, tier=Tier.KECAMATAN),
        make_approved(rid, stream_version=7, tier=Tier.KOTA),
        make_verified(rid, stream_version=8),
    ]


def make_stream(count: int, report_id: UUID | None = None, *, start: int = 1) -> list[Envelope]:
    """`count` consecutive events of one report's stream (versions `start`..), types cycling."""
    rid = report_id or uuid4()
    builders: list[Callable[[int], Envelope]] = [
        lambda v: make_rejected(rid, stream_version=v),
        lambda v: make_revised(rid, stream_version=v),
        lambda v: make_overdue(rid, stream_version=v),
        lambda v: make_approved(rid, stream_version=v),
    ]
    events = []
    for version in range(start, start + count):
        if version == 1:
            events.append(make_submitted(rid, stream_version=1))
        else:
            events.append(builders[version % len(builders)](version))
    return events


__all__ = [
    "DEFAULT_RABBITMQ_URL",
    "DatabaseFactory",
    "RabbitBroker",
    "TrackedTopology",
    "broker_error",
    "database",
    "database_factory",
    "delete_topology",
    "docker_available",
    "eventually",
    "ketua_rt",
    "make_approved",
    "make_content",
    "make_overdue",
    "make_rejected",
    "make_revised",
    "make_stream",
    "make_submitted",
    "make_verified",
    "mongodb_url",
    "new_topology",
    "rabbitmq_broker",
    "rabbitmq_url",
    "running",
    "sample_events",
    "sqlite_database",
    "store_backend",
    "topology",
    "verifier_actor",
    "wilayah_path",
]
