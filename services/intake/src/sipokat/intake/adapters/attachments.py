"""Where photo bytes live, addressed by their sha256: files on disk beside the SQLite store,
GridFS with MongoDB, or the process's memory beside the memory store (tests). Who may see a
photo is not decided here (see queries.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sipokat.events.store import Database
from sipokat.events.store.memory import MemoryDatabase
from sipokat.events.store.sqlite import SqliteDatabase


class AttachmentStore(Protocol):
    async def put(self, sha256: str, data: bytes, content_type: str) -> None:
        """Store bytes under their sha256; storing the same bytes again changes nothing."""
        ...

    async def get(self, sha256: str) -> bytes | None: ...


class DiskAttachmentStore:
    """`<root>/ab/abcdef…`: written to a temporary file and renamed, so a reader never sees half
    a photo and a crash mid-write leaves no file under the photo's name."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _write(self, sha256: str, data: bytes) -> None:
        path = self._path(sha256)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    async def put(self, sha256: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, sha256, data)

    async def get(self, sha256: str) -> bytes | None:
        path = self._path(sha256)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None


class MemoryAttachmentStore:
    """Photos kept by the process, beside a memory database: a test of what the routes do with
    photos needs no file."""

    def __init__(self) -> None:
        self.photos: dict[str, bytes] = {}

    async def put(self, sha256: str, data: bytes, content_type: str) -> None:
        self.photos.setdefault(sha256, data)

    async def get(self, sha256: str) -> bytes | None:
        return self.photos.get(sha256)


class GridFSAttachmentStore:
    """GridFS bucket `attachments`, a photo one file whose `_id` and `filename` are its sha256.

    Written as the GridFS layout (chunks, then the files document) with idempotent writes only,
    so concurrent puts of one photo and a put retried after a crash converge on one complete
    file, and no put ever deletes what a complete file uses:

    - whether the photo is there is one indexed `find_one` on the files collection, `_id` only:
      never a download;
    - the chunks are upserted by (files_id, n) with `files_id` the sha256; the bytes and the
      chunk size fix every chunk, so whoever writes one writes the same bytes, and concurrent
      upserts meet on the bucket's unique (files_id, n) index;
    - chunks at n beyond the photo's count (an unfinished file chunked otherwise) are deleted:
      no complete file of these bytes uses them, and readers refuse extra chunks;
    - the files document is inserted last, so a reader (GridFS finds a file by it) never sees
      part of a photo; a second one is a duplicate `_id`: the photo is there.

    A crash mid-upload leaves chunks without a files document, which no reader sees; the retried
    put (the phone uploads again) writes them over and adds the files document. Photos stored by
    earlier versions (an ObjectId `_id`, the sha256 as filename) are found by name as before.
    It needs a MongoDB server: `services/intake/tests/test_attachment_store.py` runs it there.
    """

    BUCKET = "attachments"
    CHUNK_SIZE = 255 * 1024  # GridFS's default; fixed, as the chunks of one photo must agree

    def __init__(self, db: Any) -> None:
        from gridfs import AsyncGridFSBucket

        self.bucket = AsyncGridFSBucket(db, bucket_name=self.BUCKET)
        self.files = db[f"{self.BUCKET}.files"]
        self.chunks = db[f"{self.BUCKET}.chunks"]
        self._indexed = False

    async def _ensure_indexes(self) -> None:
        # GridFS's own indexes (the driver makes them only on its own uploads): the unique one
        # on (files_id, n) is what makes two writers of a chunk meet on one document.
        if not self._indexed:
            await self.files.create_index([("filename", 1), ("uploadDate", 1)])
            await self.chunks.create_index([("files_id", 1), ("n", 1)], unique=True)
            self._indexed = True

    async def exists(self, sha256: str) -> bool:
        found = await self.files.find_one({"filename": sha256}, projection={"_id": 1})
        return found is not None

    async def put(self, sha256: str, data: bytes, content_type: str) -> None:
        from bson import Binary, Int64
        from pymongo import UpdateOne
        from pymongo.errors import BulkWriteError, DuplicateKeyError

        if await self.exists(sha256):
            return
        await self._ensure_indexes()
        size = self.CHUNK_SIZE
        count = -(-len(data) // size)
        writes = [
            UpdateOne(
                {"files_id": sha256, "n": n},
                {"$set": {"data": Binary(data[n * size : (n + 1) * size])}},
                upsert=True,
            )
            for n in range(count)
        ]
        if writes:
            try:
                await self.chunks.bulk_write(writes, ordered=False)
            except BulkWriteError as exc:
                # A concurrent put inserted the chunk first: the same bytes are there.
                if any(e.get("code") != 11000 for e in exc.details["writeErrors"]):
                    raise
                if exc.details.get("writeConcernErrors"):
                    raise
        await self.chunks.delete_many({"files_id": sha256, "n": {"$gte": count}})
        try:
            await self.files.insert_one(
                {
                    "_id": sha256,
                    "filename": sha256,
                    "length": Int64(len(data)),
                    "chunkSize": size,
                    "uploadDate": datetime.now(UTC),
                    "metadata": {"content_type": content_type},
                }
            )
        except DuplicateKeyError:
            return  # a concurrent put finished it first

    async def get(self, sha256: str) -> bytes | None:
        from gridfs.errors import NoFile

        try:
            stream = await self.bucket.open_download_stream_by_name(sha256)
        except NoFile:
            return None
        data: bytes = await stream.read()
        return data


def attachment_store(database: Database) -> AttachmentStore:
    """Photos live where the service's database lives, so the database it opened decides (no
    second look at the backend setting): the folder of its SQLite file, or its MongoDB database,
    in GridFS; a memory database, the process's memory."""
    if isinstance(database, SqliteDatabase):
        return DiskAttachmentStore(Path(database.path).parent / "attachments")
    if isinstance(database, MemoryDatabase):
        return MemoryAttachmentStore()
    # Imported here: a SQLite deployment never loads the MongoDB driver.
    from sipokat.events.store.mongo import MongoDatabase

    if isinstance(database, MongoDatabase):
        return GridFSAttachmentStore(database.db)
    raise TypeError(f"no attachment store beside a {type(database).__name__}")
