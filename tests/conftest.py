"""Fixtures for the cross-service tests: the services as real processes."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from harness import SERVICES, Platform  # on the path through pytest's `pythonpath` setting
from sipokat.events.broker.topology import Topology
from sipokat.events.testing import delete_topology

# Intake's test support (photos as phones write them, hostile files) for the end-to-end and
# security tests, from where intake's own tests keep it.
sys.path.insert(0, str(Path(__file__).parents[1] / "services/intake/tests"))


@pytest.fixture
async def platform(rabbitmq_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    running = Platform(rabbitmq_url, prefix=f"e2e-{uuid.uuid4().hex[:8]}", data_dir=tmp_path)
    try:
        await asyncio.to_thread(running.start)
        yield running
    finally:
        await asyncio.to_thread(running.stop)
        await delete_topology(rabbitmq_url, Topology(running.prefix), SERVICES)
