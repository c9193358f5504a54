"""`sipokat rebuild` against a running platform: the views come back with the same figures."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from harness import KELURAHAN, RT, Platform, auth, report_body
from sipokat.events.testing import eventually
from sipokat.ops.rebuild import rebuild
from sipokat.runtime.settings import ServiceSettings

pytestmark = [pytest.mark.e2e, pytest.mark.broker]


async def test_rebuilding_verification_and_analytics_keeps_their_answers(
    platform: Platform,
) -> None:
    leader = auth("pemkot", "16.73")
    lurah = auth("lurah", KELURAHAN)
    async with httpx.AsyncClient(base_url=platform.url(), timeout=15) as gateway:
        accepted = await gateway.post(
            "/v1/reports", json=report_body(), headers=auth("ketua_rt", RT)
        )
        report = f"/v1/reports/{accepted.json()['report_id']}"

        async def summary() -> dict[str, Any] | None:
            answer = await gateway.get("/v1/analytics/summary", headers=leader)
            body: dict[str, Any] = answer.json()
            return body if answer.status_code == 200 and body.get("total_reports") else None

        before_summary = await eventually(summary, timeout=60)
        before_status = await eventually(
            lambda: _json_if_ok(gateway.get(report, headers=lurah)), timeout=60
        )

        settings = ServiceSettings()
        for service in ("verification", "analytics"):
            code = await asyncio.to_thread(rebuild, service, settings, platform.url())
            assert code == 0, service

        assert await eventually(summary, timeout=60) == before_summary
        assert (await gateway.get(report, headers=lurah)).json() == before_status


async def _json_if_ok(answer: Any) -> dict[str, Any] | None:
    response = await answer
    body: dict[str, Any] = response.json()
    return body if response.status_code == 200 else None
