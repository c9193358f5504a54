"""Where photo bytes live, addressed by their sha256: files on disk beside the SQLite store, or
GridFS with MongoDB. Who may see a photo is not decided here (see views.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from sipokat.events.store import Database
from sipokat.runtime.settings import ServiceSettings


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


class GridFSAttachmentStore:
    """GridFS with the files named by their sha256 (not run here: it needs a MongoDB server)."""

    def __init__(self, db: Any) -> None:
        from gridfs import AsyncGridFSBucket

        self.bucket = AsyncGridFSBucket(db, bucket_name="attachments")

    async def put(self, sha256: str, data: bytes, content_type: str) -> None:
        if await self.get(sha256) is not None:
            return
        await self.bucket.upload_from_stream(sha256, data, metadata={"content_type": content_type})

    async def get(self, sha256: str) -> bytes | None:
        from gridfs.errors import NoFile

        try:
            stream = await self.bucket.open_download_stream_by_name(sha256)
        except NoFile:
            return None
        data: bytes = await stream.read()
        return data


def open_attachment_store(settings: ServiceSettings, database: Database) -> AttachmentStore:
    """The store that matches the service's database backend."""
    if settings.store_backend == "mongodb":
        from sipokat.events.store.mongo import MongoDatabase

        assert isinstance(database, MongoDatabase)
        return GridFSAttachmentStore(database.db)
    return DiskAttachmentStore(settings.data_dir / "attachments")
