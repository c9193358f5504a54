"""The broker is stopped and started twice while RT heads keep submitting: every accepted report
reaches verification, analytics and the lurah's inbox exactly once.

The broker stopped is a RabbitMQ node of the fault tests' own (tests/chaos/broker_node.py), not
the shared one: stopping that would break every other test and platform using it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from chaos.broker_node import BrokerNode, chaos_broker
from checker import Outcome, check_exactly_once

from harness import CONSUMERS, RT, Platform, auth, report_body
from sipokat.events.broker.topology import Topology
from sipokat.events.testing import delete_topology, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker, pytest.mark.disruptive]

MAX_REPORTS = 180

__all__ = ["chaos_broker"]  # the fixture, imported to be found here


@pytest.fixture
async def platform(chaos_broker: BrokerNode, tmp_path: Path) -> AsyncIterator[Platform]:
    running = Platform(
        chaos_broker.url,
        prefix=f"e2e-{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path,
        settings={"RABBITMQ_STREAM_URL": "off"},  # not the shared broker's stream port
    )
    try:
        await asyncio.to_thread(running.start)
        yield running
    finally:
        await asyncio.to_thread(running.stop)
        await asyncio.to_thread(chaos_broker.start_app)  # never leave it stopped
        await delete_topology(chaos_broker.url, Topology(running.prefix), CONSUMERS)


async def submit_steadily(
    gateway: httpx.AsyncClient, accepted: list[str], stop: asyncio.Event
) -> None:
    rt_head = auth("ketua_rt", RT)
    while not stop.is_set() and len(accepted) < MAX_REPORTS:
        answer = await gateway.post(
            "/v1/reports", json=report_body(f"Laporan {len(accepted)}"), headers=rt_head
        )
        # Intake stores first and publishes later: a broker outage does not refuse reports.
        assert answer.status_code == 202, answer.text
        accepted.append(answer.json()["report_id"])
        await asyncio.sleep(0.05)


async def test_broker_restarts_lose_nothing_and_double_nothing(
    platform: Platform, chaos_broker: BrokerNode
) -> None:
    accepted: list[str] = []
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=platform.url(), timeout=15) as gateway:
        load = asyncio.create_task(submit_steadily(gateway, accepted, stop))
        try:
            await eventually(lambda: len(accepted) >= 20)
            for _ in range(2):
                await asyncio.to_thread(chaos_broker.stop_app)
                await asyncio.sleep(2)
                await asyncio.to_thread(chaos_broker.start_app)
                await asyncio.sleep(2)
        finally:
            await asyncio.to_thread(chaos_broker.start_app)  # never leave the broker down
            stop.set()
            await load
        await check_exactly_once([gateway], Outcome(accepted))
