"""The broker is stopped and started twice while RT heads keep submitting: every accepted report
reaches verification, analytics and the lurah's inbox exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from harness import KELURAHAN, RT, Platform, auth, report_body
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
        assert len(accepted) == len(set(accepted))

        leader = auth("pemkot", "16.73")
        lurah = auth("lurah", KELURAHAN)

        async def analytics_total() -> int:
            answer = await gateway.get("/v1/analytics/summary", headers=leader)
            total: int = answer.json()["total_reports"]
            return total

        await eventually(
            lambda: _equals(analytics_total(), len(accepted)),
            timeout=120,
            message=lambda: f"analytics never reached {len(accepted)} reports",
        )

        async def inbox() -> dict[str, Any]:
            answer = await gateway.get("/v1/notifications/inbox/unread", headers=lurah)
            body: dict[str, Any] = answer.json()
            return body

        await eventually(lambda: _equals(_unread(inbox()), len(accepted)), timeout=60)
        items = await _all_inbox_items(gateway, lurah)
        assert sorted(item["report_id"] for item in items) == sorted(accepted)

        for report_id in accepted:
            status = await _get_within_rate_limit(gateway, f"/v1/reports/{report_id}", lurah)
            assert status.status_code == 200, report_id
            assert len(status.json()["timeline"]) == 1  # submitted once, applied once

        # Analytics did not count any report twice while the broker came and went.
        assert await analytics_total() == len(accepted)


async def _equals(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def _unread(inbox: Any) -> int:
    body = await inbox
    unread: int = body["unread"]
    return unread


async def _all_inbox_items(gateway: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    items: list[Any] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = (await gateway.get("/v1/notifications/inbox", params=params, headers=headers)).json()
        items += page["items"]
        if not page.get("next_cursor"):
            return items
        params["cursor"] = page["next_cursor"]


async def _get_within_rate_limit(
    gateway: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> httpx.Response:
    """GET as a well-behaved client: on 429, wait as long as Retry-After says, then again."""
    while True:
        answer = await gateway.get(path, headers=headers)
        if answer.status_code != 429:
            return answer
        await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
