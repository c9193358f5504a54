"""The demo's one door to the platform: bounded concurrency, tokens, 429s and the error count."""

from __future__ import annotations

import asyncio
import email.utils
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from sipokat.ops.demo.model import Tally
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings

MAX_THROTTLED_TRIES = 20  # per request; then its 429 stands


def retry_after_seconds(response: httpx.Response, default: float = 1.0) -> float:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Gateway:
    def __init__(
        self,
        client: httpx.AsyncClient,
        tally: Tally,
        concurrency: int,
        token_ttl: timedelta,
        settings: ServiceSettings | None = None,
    ) -> None:
        self.client, self.tally = client, tally
        self._slots = asyncio.Semaphore(concurrency)
        self._settings = settings or ServiceSettings()
        self._ttl = token_ttl
        self._headers: dict[tuple[str, str, str], dict[str, str]] = {}

    def auth(self, role: str, wilayah: str, subject: str | None = None) -> dict[str, str]:
        """Bearer headers, minted once per person with the platform's development secret."""
        key = (role, wilayah, subject or f"demo-{role}-{wilayah}")
        if key not in self._headers:
            token = mint_token(
                self._settings, subject=key[2], role=role, wilayah=wilayah, ttl=self._ttl
            )
            self._headers[key] = {"Authorization": f"Bearer {token}"}
        return self._headers[key]

    async def send(
        self, label: str, method: str, path: str, headers: dict[str, str], **kwargs: Any
    ) -> httpx.Response | None:
        """The answer (success, 409 or otherwise), or None when no answer came at all."""
        for _ in range(MAX_THROTTLED_TRIES):
            async with self._slots:
                try:
                    response = await self.client.request(method, path, headers=headers, **kwargs)
                except httpx.HTTPError as exc:
                    self.tally.error("transport", f"{label}: {exc.__class__.__name__} {exc}")
                    return None
            if response.status_code != 429:
                break
            self.tally.throttled += 1
            await asyncio.sleep(retry_after_seconds(response))
        if response.status_code == 409:
            self.tally.races += 1
        elif not response.is_success and response.status_code != 429:
            self.tally.error(
                str(response.status_code),
                f"{label}: {method} {path} -> {response.status_code} {response.text[:300]}",
            )
        return response
