"""The three-tier review through the gateway and RabbitMQ: four real processes, as a user and an
integrator see it."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aio_pika
import httpx
import pytest

from harness import KELURAHAN, RT, Platform, auth, report_body
from sipokat.events.broker.topology import Topology, declare_exchange
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

LURAH = auth("lurah", KELURAHAN)
CAMAT = auth("camat", "16.73.02")
PEMKOT = auth("pemkot", "16.73")


async def submit_and_wait_for_the_lurah(gateway: httpx.AsyncClient) -> str:
    accepted = await gateway.post("/v1/reports", json=report_body(), headers=auth("ketua_rt", RT))
    assert accepted.status_code == 202, accepted.text
    report_id: str = accepted.json()["report_id"]

    async def in_the_lurahs_queue() -> bool:
        answer = await gateway.get("/v1/verification/queue", headers=LURAH)
        return report_id in [item["report_id"] for item in answer.json()["items"]]

    # Polled as a client would, inside the per-token rate limit (20/s): a 429 is not an answer.
    await eventually(
        in_the_lurahs_queue, timeout=60, interval=0.2, message="the report reaches the lurah"
    )
    return report_id


async def test_three_tiers_verify_a_report_and_integrators_see_every_decision(
    platform: Platform, rabbitmq_url: str
) -> None:
    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, Topology(platform.prefix))
        integrator = await channel.declare_queue(exclusive=True)
        for key in ("report.approved.*", "report.verified"):
            await integrator.bind(exchange, routing_key=key)

        async with httpx.AsyncClient(base_url=platform.url(), timeout=10) as gateway:
            report_id = await submit_and_wait_for_the_lurah(gateway)
            decisions = f"/v1/reports/{report_id}/decisions"
            for headers, status in ((LURAH, "awaiting_kecamatan"), (CAMAT, "awaiting_kota")):
                answer = await gateway.post(
                    decisions,
                    json={"decision": "approve", "note": "Sesuai"},
                    headers={**headers, "X-Correlation-ID": f"approve-{status}"},
                )
                assert answer.status_code == 200, answer.text
                assert answer.json()["status"] == status
            final = await gateway.post(
                decisions,
                json={"decision": "approve", "counts_for_performance": True},
                headers={**PEMKOT, "X-Correlation-ID": "approve-kota"},
            )
            assert final.json()["status"] == "verified"

            received: list[dict[str, Any]] = []
            keys: list[str] = []
            for _ in range(4):
                message = await eventually(lambda: integrator.get(fail=False), timeout=60)
                await message.ack()
                keys.append(message.routing_key or "")
                received.append(json.loads(message.body))
            assert keys == [
                "report.approved.kelurahan",
                "report.approved.kecamatan",
                "report.approved.kota",
                "report.verified",
            ]
            assert [e["stream_version"] for e in received] == [2, 3, 4, 5]
            assert all(e["source"] == "verification" for e in received)
            assert received[0]["correlation_id"] == "approve-awaiting_kecamatan"
            assert received[0]["actor"]["role"] == "lurah"
            assert received[0]["data"]["next_tier"] == "kecamatan"
            assert received[3]["correlation_id"] == "approve-kota"
            assert received[3]["causation_id"] == received[2]["event_id"]
            assert received[3]["data"]["counts_for_performance"] is True
            assert received[3]["data"]["content"]["title"] == report_body()["title"]

            rt_view = await gateway.get(f"/v1/reports/{report_id}", headers=auth("ketua_rt", RT))
            assert rt_view.status_code == 200
            assert [s["event"] for s in rt_view.json()["timeline"]] == [
                "ReportSubmitted",
                "ReportApproved",
                "ReportApproved",
                "ReportApproved",
                "ReportVerified",
            ]


async def test_a_rejection_reaches_the_rt_with_its_reason(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.url(), timeout=10) as gateway:
        report_id = await submit_and_wait_for_the_lurah(gateway)
        rejected = await gateway.post(
            f"/v1/reports/{report_id}/decisions",
            json={"decision": "reject", "reason_code": "no_evidence", "note": "Tambahkan foto"},
            headers=LURAH,
        )
        assert rejected.status_code == 200, rejected.text
        status = (
            await gateway.get(f"/v1/reports/{report_id}", headers=auth("ketua_rt", RT))
        ).json()
        assert status["status"] == "awaiting_revision"
        last = status["timeline"][-1]
        assert (last["reason_code"], last["note"], last["by"]["role"]) == (
            "no_evidence",
            "Tambahkan foto",
            "lurah",
        )
        lurah_queue = (await gateway.get("/v1/verification/queue", headers=LURAH)).json()
        assert report_id not in [item["report_id"] for item in lurah_queue["items"]]


TRIES = 20


async def test_a_revision_right_after_the_rejection_is_seen_is_taken_every_time(
    platform: Platform,
) -> None:
    """Intake learns of a rejection through the broker, later than verification shows it: a
    client that revises the moment it sees `awaiting_revision` must not be refused for it."""
    rt = auth("ketua_rt", RT)
    async with httpx.AsyncClient(base_url=platform.url(), timeout=10) as gateway:
        report_ids = [await submit_and_wait_for_the_lurah(gateway) for _ in range(TRIES)]
        early = await gateway.post(
            f"/v1/reports/{report_ids[0]}/revisions", json=report_body("Terlalu cepat"), headers=rt
        )
        assert early.status_code == 409, early.text
        # The status the status API shows, never an internal name; nothing to retry.
        assert early.json()["report_status"] == "awaiting_kelurahan"
        assert "retry-after" not in early.headers
        refused: list[str] = []
        for report_id in report_ids:
            rejected = await gateway.post(
                f"/v1/reports/{report_id}/decisions",
                json={"decision": "reject", "reason_code": "no_evidence", "note": "Tambah foto"},
                headers=LURAH,
            )
            assert rejected.status_code == 200, rejected.text
            seen = await gateway.get(f"/v1/reports/{report_id}", headers=rt)
            assert seen.json()["status"] == "awaiting_revision"
            revised = await gateway.post(
                f"/v1/reports/{report_id}/revisions",
                json=report_body("Kerja bakti (dengan foto)"),
                headers=rt,
            )
            if revised.status_code != 202:
                refused.append(f"{revised.status_code} {revised.text[:200]}")
                continue
            assert revised.json()["revision"] == 1

            async def back_with_the_lurah(report_id: str = report_id) -> bool:
                status = (await gateway.get(f"/v1/reports/{report_id}", headers=rt)).json()
                return status["status"] == "awaiting_kelurahan" and status["round"] == 2

            await eventually(
                back_with_the_lurah,
                timeout=60,
                interval=0.2,
                message="the revision reaches the lurah",
            )
        assert refused == [], f"{len(refused)} of {TRIES} revisions refused"


async def test_two_lurah_decisions_at_once_one_wins(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.url(), timeout=10) as gateway:
        report_id = await submit_and_wait_for_the_lurah(gateway)
        path = f"/v1/reports/{report_id}/decisions"
        answers = await asyncio.gather(
            gateway.post(path, json={"decision": "approve"}, headers=LURAH),
            gateway.post(
                path,
                json={"decision": "reject", "reason_code": "duplicate", "note": "Sudah ada"},
                headers=LURAH,
            ),
        )
        assert sorted(a.status_code for a in answers) == [200, 409]
        loser = next(a for a in answers if a.status_code == 409).json()
        assert loser["current"]["version"] == 2
        other_kelurahan = await gateway.post(
            path, json={"decision": "approve"}, headers=auth("lurah", "16.73.01.1001")
        )
        assert other_kelurahan.status_code == 404
        unknown = await gateway.post(
            f"/v1/reports/{uuid.uuid4()}/decisions", json={"decision": "approve"}, headers=LURAH
        )
        assert unknown.status_code == 404
