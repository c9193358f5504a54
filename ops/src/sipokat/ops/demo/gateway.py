"""The demo's one door to the platform: bounded concurrency, the people's tokens, 429s and the
error count."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sipokat.ops.demo.model import Tally
from sipokat.ops.demo.people import People, Person, SignInError
from sipokat.ops.demo.retry import MAX_THROTTLED_TRIES, retry_after_seconds

__all__ = ["Gateway", "retry_after_seconds"]


class Gateway:
    def __init__(
        self, client: httpx.AsyncClient, tally: Tally, concurrency: int, people: People
    ) -> None:
        self.client, self.tally, self.people = client, tally, people
        self._slots = asyncio.Semaphore(concurrency)

    async def auth(self, role: str, wilayah: str, number: int = 1) -> dict[str, str]:
        """Bearer headers of the person (an identity account, made the first time), or none
        when they could not be signed in (counted as an error; the request then fails too)."""
        try:
            return await self.people.headers(Person(role, wilayah, number))
        except (SignInError, httpx.HTTPError) as exc:
            self.tally.error("sign-in", f"{role} {wilayah}: {exc.__class__.__name__} {exc}")
            return {}

    def known(self, role: str, wilayah: str, number: int = 1) -> bool:
        return self.people.known(Person(role, wilayah, number))

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
