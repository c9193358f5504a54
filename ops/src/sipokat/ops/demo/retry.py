"""Waiting out a 429: its `Retry-After`, in seconds or as a date."""

from __future__ import annotations

import asyncio
import email.utils
from datetime import UTC, datetime
from typing import Any

import httpx

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


async def post_waiting(client: httpx.AsyncClient, path: str, **kwargs: Any) -> httpx.Response:
    """A POST whose 429s are waited out (up to `MAX_THROTTLED_TRIES`)."""
    for _ in range(MAX_THROTTLED_TRIES):
        response = await client.post(path, **kwargs)
        if response.status_code != 429:
            break
        await asyncio.sleep(retry_after_seconds(response))
    return response
