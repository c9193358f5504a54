"""Test support for identity's API tests: a clock the test moves, the type of the `service`
fixture (conftest.py) that opens the service in-process on a memory store, and the service on a
store that runs every effect twice."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from sipokat.events.store import Database
from sipokat.events.store.memory import MemoryDatabase
from sipokat.events.testing import RerunEffectsDatabase
from sipokat.identity.bootstrap import create_app
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.testing import in_memory, runtime_of_app


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


Service = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def rerun_effects_app(settings: IdentitySettings, clock: Callable[[], datetime]) -> FastAPI:
    """Identity on a memory store whose every effect first runs in a transaction thrown away,
    then for real, as MongoDB may do after an aborted transaction."""
    app = create_app(settings, clock=clock)
    memory = MemoryDatabase()
    in_memory(app, memory)

    async def opens() -> Database:
        return RerunEffectsDatabase(memory.handle())

    runtime_of_app(app).opens_database = opens
    return app
