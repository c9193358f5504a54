"""Test support for identity's API tests: a clock the test moves, and the type of the
`service` fixture (conftest.py) that opens the service in-process on a memory store."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import httpx


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


Service = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
