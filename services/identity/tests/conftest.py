"""Identity's API tests' fixtures: `clock` (moved by the test) and `service(**settings)`, a
client on a fresh app in-process on a memory store. Puts `identity_support` on the import path:
pytest's importlib mode does not add test directories."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from identity_support import Clock, Service

from sipokat.identity.bootstrap import create_app
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.testing import in_memory, service_client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(tmp_path: Path, clock: Clock) -> Service:
    @asynccontextmanager
    async def run(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(IdentitySettings(data_dir=tmp_path, **settings), clock=clock)
        in_memory(app)
        async with service_client(app) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client

    return run
