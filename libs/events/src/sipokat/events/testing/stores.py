"""Store fixtures: each test on a fresh store, of each backend in turn (the contract suite)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import pytest_asyncio

from sipokat.events.store.base import Database
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing.containers import docker_available

MONGODB_IMAGE = "mongo:7.0"


def _mongodb_container() -> tuple[str, Any]:
    """A single-node replica set (transactions need one) in Docker; returns (url, container)."""
    # MongoDB's driver and testcontainers are imported here and below, when a test asks for
    # MongoDB: every test loads this module, and the two take about 0.7 s to import.
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

# The backends a service runs on; the contract suite adds the memory store (`EVERY_BACKEND`).
REAL_BACKENDS = ["sqlite", pytest.param("mongodb", marks=pytest.mark.mongodb)]
EVERY_BACKEND = [*REAL_BACKENDS, "memory"]


@pytest.fixture(params=REAL_BACKENDS)
def store_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture
async def database_factory(
    store_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[DatabaseFactory]:
    """Opens new handles on this test's one store (two handles = two processes' connections).

    A test marked `durable` (it reopens a store, or crashes it) is skipped for the memory
    store, which holds nothing past its process."""
    handles: list[Database] = []
    cleanup: Callable[[], Awaitable[None]] | None = None

    if store_backend == "memory" and request.node.get_closest_marker("durable"):
        pytest.skip("the memory store keeps nothing past its process: nothing to reopen")
    if store_backend == "sqlite":
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
    elif store_backend == "memory":
        from sipokat.events.store.memory import MemoryDatabase

        first = MemoryDatabase()

        async def open_handle() -> Database:
            return first if not handles else first.handle()

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
    db = await SqliteDatabase.open(tmp_path / "sqlite.db")
    yield db
    await db.close()
