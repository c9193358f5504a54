"""Fixtures of the fault suite: a RabbitMQ node of its own and the platform on it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from chaos.broker_node import BrokerNode, chaos_broker

from harness import CONSUMERS, Platform
from sipokat.events.broker.topology import Topology
from sipokat.events.testing import delete_topology

__all__ = ["chaos_broker"]

StartPlatform = Callable[..., Awaitable[Platform]]


@pytest.fixture
async def start_platform(chaos_broker: BrokerNode, tmp_path: Path) -> AsyncIterator[StartPlatform]:
    """Starts the four services on the fault suite's node; `url` puts them behind a proxy."""
    started: list[Platform] = []

    async def start(url: str | None = None) -> Platform:
        settings = {
            "RABBITMQ_STREAM_URL": "off",  # not the shared broker's stream port
            "SIPOKAT_RELAY_LEASE_SECONDS": "5",
        }
        if url is not None:
            settings["RABBITMQ_URL"] = url
        platform = Platform(
            chaos_broker.url,
            prefix=f"chaos-{uuid.uuid4().hex[:8]}",
            data_dir=tmp_path,
            settings=settings,
        )
        started.append(platform)
        await asyncio.to_thread(platform.start)
        return platform

    try:
        yield start
    finally:
        for platform in started:
            await asyncio.to_thread(platform.stop)
            await asyncio.to_thread(chaos_broker.start_app)  # never leave it stopped
            await delete_topology(
                chaos_broker.url, Topology(platform.prefix), CONSUMERS, [f"{platform.prefix}.tap"]
            )
