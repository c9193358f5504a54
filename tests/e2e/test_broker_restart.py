"""The broker is stopped and started twice while RT heads keep submitting: every accepted report
reaches verification, analytics and the lurah's inbox exactly once."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from checker import Outcome, check_exactly_once

from harness import RT, Platform, auth, report_body
from sipokat.events.testing import RabbitBroker, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker, pytest.mark.disruptive]

MAX_REPORTS = 180


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
    platform: Platform, rabbitmq_broker: RabbitBroker
) -> None:
    accepted: list[str] = []
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=platform.url(), timeout=15) as gateway:
        load = asyncio.create_task(submit_steadily(gateway, accepted, stop))
        try:
            await eventually(lambda: len(accepted) >= 20)
            for _ in range(2):
                await asyncio.to_thread(rabbitmq_broker.stop_app)
                await asyncio.sleep(2)
                await asyncio.to_thread(rabbitmq_broker.start_app)
                await asyncio.sleep(2)
        finally:
            await asyncio.to_thread(rabbitmq_broker.start_app)  # never leave the broker down
            stop.set()
            await load
        await check_exactly_once([gateway], Outcome(accepted))
