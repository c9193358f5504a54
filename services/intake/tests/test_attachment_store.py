"""The attachment store's contract, run against every backend: the disk store always, GridFS
where a MongoDB server is reachable (`MONGODB_URL`, or a testcontainers MongoDB where Docker
runs; skipped otherwise, with the reason, like the event store's contract)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient, monitoring

from sipokat.events.store import open_database
from sipokat.events.store.mongo import MongoDatabase
from sipokat.intake.adapters.attachments import (
    AttachmentStore,
    DiskAttachmentStore,
    GridFSAttachmentStore,
    MemoryAttachmentStore,
    attachment_store,
)


def photo(size: int = 40_000) -> tuple[str, bytes]:
    data = os.urandom(size)
    return hashlib.sha256(data).hexdigest(), data


class Commands(monitoring.CommandListener):
    """The commands a client sent: (command name, collection)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.sent.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def gridfs(mongodb_url: str) -> AsyncIterator[tuple[GridFSAttachmentStore, Commands]]:
    commands = Commands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongodb_url, event_listeners=[commands]
    )
    name = f"test_{uuid4().hex[:16]}"
    try:
        yield GridFSAttachmentStore(client[name]), commands
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture(params=["disk", "memory", pytest.param("gridfs", marks=pytest.mark.mongodb)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AttachmentStore:
    if request.param == "disk":
        return DiskAttachmentStore(tmp_path / "attachments")
    if request.param == "memory":
        return MemoryAttachmentStore()
    made: tuple[GridFSAttachmentStore, Commands] = request.getfixturevalue("gridfs")
    return made[0]


async def copies(store: AttachmentStore, sha256: str) -> int:
    """How many stored copies (files, or GridFS files documents) name the photo."""
    if isinstance(store, DiskAttachmentStore):
        return sum(1 for path in store.root.rglob("*") if path.is_file() and sha256 in path.name)
    if isinstance(store, MemoryAttachmentStore):
        return int(sha256 in store.photos)
    assert isinstance(store, GridFSAttachmentStore)
    return await store.files.count_documents({"filename": sha256})


async def crash_mid_upload(store: AttachmentStore, sha256: str, data: bytes) -> None:
    """What an upload that died half-way leaves behind."""
    if isinstance(store, DiskAttachmentStore):
        folder = store.root / sha256[:2]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".upload-crashed").write_bytes(data[: len(data) // 2])
        return
    if isinstance(store, MemoryAttachmentStore):
        return  # a process that dies takes its photos with it: nothing is left half-written
    assert isinstance(store, GridFSAttachmentStore)
    size = store.CHUNK_SIZE
    # the first chunk written, the rest and the files document not; and a chunk of an attempt
    # that chunked the bytes otherwise, beyond the photo's count
    await store.chunks.insert_many(
        [
            {"files_id": sha256, "n": 0, "data": data[:size]},
            {"files_id": sha256, "n": 9, "data": b"left over"},
        ]
    )


async def test_stored_bytes_come_back_and_an_unknown_photo_is_none(store: AttachmentStore) -> None:
    sha, data = photo()
    assert await store.get(sha) is None
    await store.put(sha, data, "image/jpeg")
    assert await store.get(sha) == data
    assert await store.get(photo()[0]) is None


async def test_a_photo_of_many_chunks_comes_back_whole(store: AttachmentStore) -> None:
    sha, data = photo(GridFSAttachmentStore.CHUNK_SIZE * 2 + 1234)
    await store.put(sha, data, "image/png")
    assert await store.get(sha) == data


async def test_the_same_photo_again_is_stored_once(store: AttachmentStore) -> None:
    sha, data = photo()
    for _ in range(3):
        await store.put(sha, data, "image/jpeg")
    assert await copies(store, sha) == 1
    assert await store.get(sha) == data


async def test_concurrent_uploads_of_one_photo_store_one_copy(store: AttachmentStore) -> None:
    sha, data = photo(GridFSAttachmentStore.CHUNK_SIZE + 10)
    await asyncio.gather(*(store.put(sha, data, "image/jpeg") for _ in range(8)))
    assert await copies(store, sha) == 1
    assert await store.get(sha) == data


async def test_a_put_retried_after_a_crash_mid_upload_stores_the_whole_photo(
    store: AttachmentStore,
) -> None:
    sha, data = photo(GridFSAttachmentStore.CHUNK_SIZE * 2 + 99)
    await crash_mid_upload(store, sha, data)
    assert await store.get(sha) is None  # half a photo is never served
    await store.put(sha, data, "image/jpeg")
    assert await store.get(sha) == data
    assert await copies(store, sha) == 1


async def test_gridfs_tells_a_stored_photo_by_its_files_document_not_a_download(
    gridfs: tuple[GridFSAttachmentStore, Commands],
) -> None:
    store, commands = gridfs
    sha, data = photo(GridFSAttachmentStore.CHUNK_SIZE * 3)
    await store.put(sha, data, "image/jpeg")
    commands.sent.clear()
    await store.put(sha, data, "image/jpeg")
    assert ("find", f"{store.BUCKET}.files") in commands.sent
    assert not [sent for sent in commands.sent if sent[1] == f"{store.BUCKET}.chunks"]


async def test_gridfs_chunks_of_a_finished_photo_are_exactly_its_own(
    gridfs: tuple[GridFSAttachmentStore, Commands],
) -> None:
    store, _ = gridfs
    sha, data = photo(GridFSAttachmentStore.CHUNK_SIZE * 2 + 5)
    await crash_mid_upload(store, sha, data)
    await asyncio.gather(store.put(sha, data, "image/jpeg"), store.put(sha, data, "image/jpeg"))
    chunks = await store.chunks.find({"files_id": sha}).sort("n", 1).to_list()
    assert [c["n"] for c in chunks] == [0, 1, 2]
    assert b"".join(bytes(c["data"]) for c in chunks) == data
    (files,) = await store.files.find({"filename": sha}).to_list()
    assert files["_id"] == sha and files["length"] == len(data)
    assert files["metadata"] == {"content_type": "image/jpeg"}


async def test_gridfs_finds_photos_stored_by_earlier_versions(
    gridfs: tuple[GridFSAttachmentStore, Commands],
) -> None:
    """Before, a photo was a GridFS upload with an ObjectId `_id` and the sha256 as name."""
    store, _ = gridfs
    sha, data = photo()
    await store.bucket.upload_from_stream(sha, data, metadata={"content_type": "image/jpeg"})
    await store.put(sha, data, "image/jpeg")
    assert await copies(store, sha) == 1
    assert await store.get(sha) == data


async def test_photos_live_beside_the_database_the_service_opened(tmp_path: Path) -> None:
    """The folder of the SQLite file (where `data_dir/attachments` always was)."""
    database = await open_database("sqlite", service="intake", data_dir=tmp_path)
    try:
        store = attachment_store(database)
        assert isinstance(store, DiskAttachmentStore)
        assert store.root == tmp_path / "attachments"
    finally:
        await database.close()


@pytest.mark.mongodb
async def test_photos_live_in_gridfs_beside_a_mongodb_database(mongodb_url: str) -> None:
    name = f"test_{uuid4().hex[:16]}"
    database = await open_database(
        "mongodb", service="intake", mongodb_url=mongodb_url, mongodb_database=name
    )
    try:
        store = attachment_store(database)
        assert isinstance(store, GridFSAttachmentStore)
        sha, data = photo()
        await store.put(sha, data, "image/jpeg")
        assert await store.get(sha) == data
    finally:
        assert isinstance(database, MongoDatabase)
        await database.client.drop_database(name)
        await database.close()
