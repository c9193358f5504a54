"""`sipokat rebuild` against a running platform: the views come back with the same figures."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aio_pika
import httpx
import pytest

from harness import KELURAHAN, RT, Platform, auth, report_body
from sipokat.events.broker.topology import Topology
from sipokat.events.testing import eventually
from sipokat.events.testing.unreadable import oversized_progres_dana, unknown_type
from sipokat.ops.rebuild import rebuild
from sipokat.ops.setaside import list_set_aside, retry_set_aside
from sipokat.ops.status import print_status
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


async def test_an_event_no_reader_can_apply_is_set_aside_and_every_view_still_rebuilds(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 19, items 1 and 12, on the real processes: bad events put straight onto the
    exchange (so into the log and every queue), bypassing intake. Each of the three views
    rebuilds (`sipokat rebuild`, notification's too), the figures answer, and what could not
    be applied is set aside: named by `sipokat status` and `sipokat set-aside list`."""
    leader = auth("pemkot", "16.73")
    for service in ("verification", "analytics", "notification"):
        monkeypatch.setenv(f"SIPOKAT_{service.upper()}_URL", platform.url(service))
    async with httpx.AsyncClient(base_url=platform.url(), timeout=15) as gateway:
        accepted = await gateway.post(
            "/v1/reports", json=report_body(), headers=auth("ketua_rt", RT)
        )
        assert accepted.status_code == 202, accepted.text
        bad = [unknown_type(), oversized_progres_dana()]
        await publish_raw(platform.rabbitmq_url, Topology(platform.prefix), bad)

        async def summary() -> dict[str, Any] | None:
            answer = await gateway.get("/v1/analytics/summary", headers=leader)
            body: dict[str, Any] = answer.json()
            return body if answer.status_code == 200 and body.get("total_reports") else None

        before = await eventually(summary, timeout=60)
        settings = ServiceSettings()
        for service in ("verification", "analytics", "notification"):
            code = await asyncio.to_thread(rebuild, service, settings, platform.url())
            assert code == 0, service
        assert await eventually(summary, timeout=60) == before
        inbox = await gateway.get("/v1/notifications/inbox", headers=auth("lurah", KELURAHAN))
        assert inbox.status_code == 200 and inbox.json()["total"] >= 1

    unknown_id = json.loads(bad[0])["event_id"]
    capsys.readouterr()
    assert await asyncio.to_thread(list_set_aside, "analytics", settings, None, 100, False) == 0
    listed = capsys.readouterr().out
    assert unknown_id in listed and "analytics.rebuild" in listed
    await asyncio.to_thread(print_status, settings)
    status = capsys.readouterr().out
    assert "readers:set_aside=warn" in status and "analytics.rebuild=" in status
    # Still unreadable after a retry: it stays, and the command says so.
    assert await asyncio.to_thread(retry_set_aside, "analytics", settings, None, None) == 1


async def publish_raw(url: str, topology: Topology, bodies: list[bytes]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(topology.exchange)
        for body in bodies:
            await exchange.publish(
                aio_pika.Message(body, message_id=json.loads(body)["event_id"]),
                routing_key="report.submitted",
                mandatory=True,
            )
