"""A report posted to the gateway reaches the other three services through RabbitMQ, and an
integrator's own queue bound to the exchange receives the envelope of DESIGN §3."""

from __future__ import annotations

import json
import uuid

import aio_pika
import httpx
import pytest

from harness import KELURAHAN, RT, Platform, auth, report_body
from sipokat.events.broker.topology import Topology, declare_exchange
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

ENVELOPE_FIELDS = {
    "event_id",
    "type",
    "schema_version",
    "stream_id",
    "stream_version",
    "occurred_at",
    "source",
    "correlation_id",
    "causation_id",
    "actor",
    "data",
}


async def test_report_reaches_every_service_and_an_integrator_queue(
    platform: Platform, rabbitmq_url: str
) -> None:
    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, Topology(platform.prefix))
        integrator_queue = await channel.declare_queue(exclusive=True)
        await integrator_queue.bind(exchange, routing_key="report.#")

        correlation_id = f"test-{uuid.uuid4()}"
        async with httpx.AsyncClient(base_url=platform.url(), timeout=10) as gateway:
            accepted = await gateway.post(
                "/v1/reports",
                json=report_body(),
                headers={**auth("ketua_rt", RT), "X-Correlation-ID": correlation_id},
            )
            assert accepted.status_code == 202, accepted.text
            report_id = accepted.json()["report_id"]
            assert accepted.headers["location"] == f"/v1/reports/{report_id}"

            message = await eventually(lambda: integrator_queue.get(fail=False))
            envelope = json.loads(message.body)
            assert set(envelope) == ENVELOPE_FIELDS
            assert message.routing_key == "report.submitted"
            assert message.message_id == envelope["event_id"]
            assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
            assert envelope["type"] == "ReportSubmitted"
            assert envelope["stream_id"] == f"report-{report_id}"
            assert envelope["stream_version"] == 1
            assert envelope["source"] == "intake"
            assert envelope["correlation_id"] == correlation_id
            assert envelope["actor"] == {
                "subject": f"ketua_rt-{RT}",
                "role": "ketua_rt",
                "wilayah": RT,
            }
            data = envelope["data"]
            assert data["report_id"] == report_id
            assert data["wilayah"]["rt_code"] == RT
            assert data["wilayah"]["kelurahan_name"] == "Pelita Jaya"
            assert data["wilayah"]["kecamatan_code"] == "16.73.02"
            assert data["wilayah"]["kota_code"] == "16.73"
            assert data["content"]["bidang"] == "kesehatan_lingkungan"
            assert data["content"]["kind"] == "kegiatan"

            lurah = auth("lurah", KELURAHAN)

            async def verification_status() -> dict[str, object] | None:
                answer = await gateway.get(f"/v1/reports/{report_id}", headers=lurah)
                return answer.json() if answer.status_code == 200 else None

            status = await eventually(verification_status)
            assert status["status"] == "awaiting_kelurahan"

            async def analytics_total() -> dict[str, object] | None:
                answer = await gateway.get("/v1/analytics/summary", headers=auth("pemkot", "16.73"))
                body = answer.json()
                return body if body["total_reports"] else None

            summary = await eventually(analytics_total)
            assert summary["total_reports"] == 1
            assert summary["by_bidang"][0]["bidang"] == "kesehatan_lingkungan"

            async def inbox() -> dict[str, object] | None:
                body = (await gateway.get("/v1/notifications/inbox", headers=lurah)).json()
                return body if body["items"] else None

            lurah_inbox = await eventually(inbox)
            assert lurah_inbox["unread"] == 1
            assert lurah_inbox["items"][0]["report_id"] == report_id


async def test_another_kelurahan_cannot_see_the_report(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.url(), timeout=10) as gateway:
        accepted = await gateway.post(
            "/v1/reports", json=report_body(), headers=auth("ketua_rt", RT)
        )
        report_id = accepted.json()["report_id"]
        own_lurah = auth("lurah", KELURAHAN)
        await eventually(
            lambda: _status_code(gateway, f"/v1/reports/{report_id}", own_lurah, expect=200)
        )
        other = await gateway.get(
            f"/v1/reports/{report_id}", headers=auth("lurah", "16.73.01.1001")
        )
        assert other.status_code == 404
        assert other.headers["content-type"] == "application/problem+json"
        unknown = await gateway.get(f"/v1/reports/{uuid.uuid4()}", headers=own_lurah)
        assert unknown.status_code == 404
        # Same answer for "not yours" and "does not exist": nothing leaks.
        assert other.json()["title"] == unknown.json()["title"]


async def _status_code(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], expect: int
) -> bool:
    return (await client.get(path, headers=headers)).status_code == expect


async def test_gateway_answers_problem_details_for_bad_input(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.url(), timeout=10) as gateway:
        no_token = await gateway.post("/v1/reports", json=report_body())
        assert no_token.status_code == 401
        wrong_role = await gateway.post(
            "/v1/reports", json=report_body(), headers=auth("lurah", KELURAHAN)
        )
        assert wrong_role.status_code == 403
        bad = await gateway.post(
            "/v1/reports",
            json={**report_body(), "bidang": "olahraga"},
            headers=auth("ketua_rt", RT),
        )
        assert bad.status_code == 422
        problem = bad.json()
        assert bad.headers["content-type"] == "application/problem+json"
        assert [e["pointer"] for e in problem["errors"]] == ["/body/bidang"]
