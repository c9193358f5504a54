"""The upstreams' OpenAPI documents, fetched from each service's `/openapi.json` and kept a while.

Fetched over HTTP rather than built from the services' code: the gateway may run in a container
of its own beside upstreams of another version, and no service imports another. A document is
kept `refresh_seconds`; one that could not be had (the service is down, slow, or answered no
document) is asked for again after `retry_seconds`, and its part of the merged document is left
out meanwhile. Concurrent readers share one round of fetches.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from sipokat.intake.adapters.openapi_merge import Document, merge

log = structlog.get_logger(__name__)


@dataclass
class _Kept:
    document: Document | None
    until: float


@dataclass
class UpstreamDocuments:
    """`merged(own)`: the gateway's document `own` with every upstream's public operations."""

    client: httpx.AsyncClient
    upstreams: Mapping[str, str]  # service → its base URL
    passed_to: Callable[[str], str | None]  # a path → the service the gateway passes it to
    timeout: httpx.Timeout
    refresh_seconds: float = 300.0
    retry_seconds: float = 15.0
    clock: Callable[[], float] = time.monotonic
    _kept: dict[str, _Kept] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _merged: tuple[tuple[int, ...], Document] | None = None

    async def merged(self, own: Document) -> Document:
        documents = await self.documents()
        # Merged again only when a document was fetched anew (or `own` is another one).
        key = (id(own), *(id(document) for document in documents.values()))
        if self._merged is None or self._merged[0] != key:
            self._merged = (key, merge(own, documents, self.passed_to))
        return self._merged[1]

    async def documents(self) -> dict[str, Document | None]:
        async with self._lock:
            now = self.clock()
            due = [s for s in self.upstreams if s not in self._kept or self._kept[s].until <= now]
            if due:
                fetched = await asyncio.gather(*(self._fetch(s) for s in due))
                now = self.clock()
                for service, document in zip(due, fetched, strict=True):
                    wait = self.refresh_seconds if document is not None else self.retry_seconds
                    self._kept[service] = _Kept(document, now + wait)
            return {service: self._kept[service].document for service in self.upstreams}

    async def _fetch(self, service: str) -> Document | None:
        url = f"{self.upstreams[service]}/openapi.json"
        try:
            answer = await self.client.get(url, timeout=self.timeout)
            answer.raise_for_status()
            document: Any = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("apidocs.upstream_missing", service=service, error=type(exc).__name__)
            return None
        if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
            log.warning("apidocs.upstream_missing", service=service, error="no OpenAPI document")
            return None
        return document
