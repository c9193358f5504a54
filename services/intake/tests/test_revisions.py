"""Revisions: intake learns decisions from verification's events on the real broker, keeps them
in its own copy of the report's stream, and takes a revision only from the owner of a rejected
report."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID

import aio_pika
import httpx
import pytest
from aio_pika.abc import AbstractExchange, AbstractQueue
from fastapi import FastAPI

from sipokat.events.broker.topology import declare_exchange, declare_service_queue
from sipokat.events.catalogue import Tier
from sipokat.events.envelope import Envelope
from sipokat.events.testing import (
    TrackedTopology,
    eventually,
    make_approved,
    make_rejected,
    make_verified,
)
from sipokat.intake.bootstrap import DECISIONS
from sipokat.runtime.testing import bearer, runtime_of_app

pytestmark = pytest.mark.broker

RT = "16.73.02.1019/007"


def content(title: str = "Kerja bakti membersihkan saluran") -> dict[str, object]:
    return {
        "kind": "kegiatan",
        "bidang": "kesehatan_lingkungan",
        "title": title,
        "description": "Gotong royong warga RT 007.",
        "activity_date": date.today().isoformat(),
    }


class Broker:
    def __init__(self, exchange: AbstractExchange, revised: AbstractQueue) -> None:
        self.exchange = exchange
        self.revised = revised

    async def publish(self, envelope: Envelope) -> None:
        """As verification's relay does: persistent, message_id = event_id."""
        message = aio_pika.Message(
            envelope.to_json(),
            message_id=str(envelope.event_id),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            content_type="application/json",
        )
        await self.exchange.publish(message, routing_key=envelope.routing_key)


@pytest.fixture
async def broker(rabbitmq_url: str, topology: TrackedTopology) -> AsyncIterator[Broker]:
    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, topology)
        # Intake's queue exists and is bound before anything is published to it.
        await declare_service_queue(channel, topology, "intake", DECISIONS)
        revised = await channel.declare_queue(topology.test_queue("revised"), auto_delete=True)
        await revised.bind(exchange, "report.revised")
        yield Broker(exchange, revised)


async def submit(client: httpx.AsyncClient) -> UUID:
    answer = await client.post("/v1/reports", json=content(), headers=bearer("ketua_rt", RT))
    assert answer.status_code == 202, answer.text
    return UUID(answer.json()["report_id"])


async def stream_version(app: FastAPI, report_id: UUID) -> int:
    return await runtime_of_app(app).database.events.stream_version(f"report-{report_id}")


async def reaches(app: FastAPI, report_id: UUID, version: int) -> None:
    async def there() -> bool:
        return await stream_version(app, report_id) == version

    await eventually(there, timeout=60, message=f"intake's stream at version {version}")


async def test_the_owner_revises_a_rejected_report_once(
    client: httpx.AsyncClient, app: FastAPI, broker: Broker
) -> None:
    report_id = await submit(client)
    revise = f"/v1/reports/{report_id}/revisions"
    # Intake's copy says "in review"; only verification can confirm no rejection came since,
    # and none runs here: try again shortly (with verification up, 409: tests/e2e).
    early = await client.post(revise, json=content(), headers=bearer("ketua_rt", RT))
    assert early.status_code == 503, early.text
    assert early.json()["type"].endswith("/verification-unavailable")
    assert int(early.headers["retry-after"]) > 0

    rejection = make_rejected(report_id, stream_version=2, tier=Tier.KELURAHAN)
    await broker.publish(rejection)
    await reaches(app, report_id, 2)

    other_rt = await client.post(
        revise, json=content(), headers=bearer("ketua_rt", "16.73.02.1019/003")
    )
    assert other_rt.status_code == 404
    lurah = await client.post(revise, json=content(), headers=bearer("lurah", "16.73.02.1019"))
    assert lurah.status_code == 403

    fixed = await client.post(
        revise, json=content("Kerja bakti (foto diperbaiki)"), headers=bearer("ketua_rt", RT)
    )
    assert fixed.status_code == 202, fixed.text
    assert fixed.json()["revision"] == 1
    assert fixed.headers["location"] == f"/v1/reports/{report_id}"

    message = await eventually(lambda: broker.revised.get(fail=False), timeout=60)
    published = json.loads(message.body)
    assert published["stream_version"] == 3
    assert published["data"]["revision"] == 1
    assert published["data"]["content"]["title"] == "Kerja bakti (foto diperbaiki)"
    assert published["data"]["wilayah"]["rt_code"] == RT

    # Verified is final: nothing verification could add makes it take a revision.
    await broker.publish(make_verified(report_id, stream_version=4))
    await reaches(app, report_id, 4)
    again = await client.post(revise, json=content(), headers=bearer("ketua_rt", RT))
    assert again.status_code == 409
    assert again.json()["title"] == "Not awaiting revision"
    assert again.json()["report_status"] == "verified"


async def test_redelivered_decisions_are_recorded_once_and_never_republished(
    client: httpx.AsyncClient, app: FastAPI, broker: Broker
) -> None:
    report_id = await submit(client)
    approval = make_approved(report_id, stream_version=2, tier=Tier.KELURAHAN)
    await broker.publish(approval)
    await broker.publish(approval)  # the broker delivers at least once
    rejection = make_rejected(report_id, stream_version=3, tier=Tier.KECAMATAN)
    await broker.publish(rejection)
    await reaches(app, report_id, 3)

    events = runtime_of_app(app).database.events
    stored = await events.read_stream(f"report-{report_id}")
    assert [e.event_id for e in stored[1:]] == [approval.event_id, rejection.event_id]
    own = await events.read_from(0, 100, publishable_only=True)
    assert [e.envelope.type for e in own] == ["ReportSubmitted"]

    # A rejection at the camat's tier is still a rejection: the RT may revise.
    fixed = await client.post(
        f"/v1/reports/{report_id}/revisions", json=content(), headers=bearer("ketua_rt", RT)
    )
    assert fixed.status_code == 202
    assert await stream_version(app, report_id) == 4


async def test_a_report_that_does_not_exist_is_404(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/reports/0193b6a4-2c1e-7c55-9f0a-1d2e3f405162/revisions",
        json=content(),
        headers=bearer("ketua_rt", RT),
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_revision_retried_after_a_crash_is_stored_once(
    client: httpx.AsyncClient, app: FastAPI, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = await submit(client)
    await broker.publish(make_rejected(report_id, stream_version=2, tier=Tier.KELURAHAN))
    await reaches(app, report_id, 2)
    keys = runtime_of_app(app).context.idempotency_keys
    headers = {**bearer("ketua_rt", RT), "Idempotency-Key": '"rev-crash"'}
    revise = f"/v1/reports/{report_id}/revisions"

    async def process_dies(*args: object) -> None:
        raise SystemExit("killed after the revision was stored, before the key was completed")

    monkeypatch.setattr(keys, "complete", process_dies)
    with pytest.raises(SystemExit):
        await client.post(revise, json=content("Diperbaiki"), headers=headers)
    monkeypatch.undo()
    assert await stream_version(app, report_id) == 3

    later = time.time() + keys.lease + 1
    monkeypatch.setattr(keys, "clock", lambda: later)
    retry = await client.post(revise, json=content("Diperbaiki"), headers=headers)
    assert retry.status_code == 202, retry.text  # not 409 "not awaiting revision"
    assert retry.json()["revision"] == 1
    assert await stream_version(app, report_id) == 3
