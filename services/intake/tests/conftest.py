"""The intake app in-process, against a real SQLite store and the real broker (`settings`,
`app`, `client`), or on a memory store with no broker (`memory_settings`, `memory_app`) for a
test of what its routes and handlers do; puts `intake_support` (photos made with Pillow, hostile
files) on the import path: pytest's importlib mode does not add test directories."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from sipokat.events.testing import TrackedTopology
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import free_port, in_memory, service_client

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def settings(tmp_path: Path, rabbitmq_url: str, topology: TrackedTopology) -> IntakeSettings:
    topology.service_queue("intake")  # so that teardown deletes the queue intake declares
    return IntakeSettings(
        data_dir=tmp_path,
        rabbitmq_url=rabbitmq_url,
        broker_prefix=topology.prefix,
        # No verification runs beside these tests: nothing listens there (tests/e2e has one).
        verification_url=f"http://127.0.0.1:{free_port()}",
    )


@pytest.fixture
def app(settings: IntakeSettings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with service_client(app) as client:
        yield client


@pytest.fixture
def memory_settings(tmp_path: Path) -> IntakeSettings:
    return IntakeSettings(
        data_dir=tmp_path,
        # A port nothing listens on: were anything to reach for a broker, it would find none.
        rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/",
        verification_url=f"http://127.0.0.1:{free_port()}",
    )


@pytest.fixture
def memory_app(memory_settings: IntakeSettings) -> FastAPI:
    app = create_app(memory_settings)
    in_memory(app)
    return app
