"""One report whose views cannot be written never stops the others (issue 19, item 1): its
event is set aside, with the reason, visible in readiness, metrics and `/ops/set-aside`; the
catch-up, the deadline scan, a rebuild and decisions go on; and after a fix it is retried.

In-process with the real SQLite store, relay, consumer and scheduler. The bad events are put
straight into the store as JSON bodies, as they may lie there already, bypassing intake."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from verification_support import MONDAY

from sipokat.events.envelope import Envelope
from sipokat.events.store.base import ViewTransaction
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import TrackedTopology, eventually, make_submitted
from sipokat.events.testing.unreadable import oversized_progres_dana, store_raw, unknown_type
from sipokat.runtime.testing import bearer, runtime_of_app, service_client
from sipokat.verification import handlers
from sipokat.verification.bootstrap import create_app
from sipokat.verification.domain import Report
from sipokat.verification.settings import VerificationSettings

pytestmark = pytest.mark.broker

LURAH = bearer("lurah", "16.73.02.1019")
CAMAT = bearer("camat", "16.73.02")
PEMKOT = bearer("pemkot", "16.73")
ADMIN = bearer("admin", None)
APPROVE = {"decision": "approve"}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


Started = Callable[[], AbstractAsyncContextManager[tuple[httpx.AsyncClient, FastAPI]]]


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY + timedelta(hours=1))


@pytest.fixture
def service(tmp_path: Path, rabbitmq_url: str, topology: TrackedTopology, clock: Clock) -> Started:
    settings = VerificationSettings(
        data_dir=tmp_path,
        rabbitmq_url=rabbitmq_url,
        broker_prefix=topology.prefix,
        scan_interval=0.1,
    )

    @asynccontextmanager
    async def started() -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
        app = create_app(settings, clock=clock)
        async with service_client(app) as client:
            yield client, app

    return started


def recorder(app: FastAPI) -> Callable[[Envelope], Any]:
    """What the consumer does with intake's event, without waiting for the broker."""
    context = runtime_of_app(app).context
    return handlers.intake_event_handler(context.database, context.policy, context.set_aside)


def submitted(report_id: UUID | None = None) -> Envelope:
    return make_submitted(report_id).model_copy(update={"occurred_at": MONDAY})


async def set_aside(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/ops/set-aside", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    listed: dict[str, Any] = answer.json()
    return listed


async def test_events_the_views_cannot_hold_are_set_aside_and_scan_and_rebuild_go_on(
    service: Started, clock: Clock
) -> None:
    async with service() as (client, app):
        good = submitted()
        await recorder(app)(good)
        database = runtime_of_app(app).database
        assert isinstance(database, SqliteDatabase)
        oversized = oversized_progres_dana(uuid4(), occurred_at=MONDAY)
        await store_raw(database, oversized)
        await store_raw(database, unknown_type())

        # The catch-up (every 0.1 s) sets both aside and goes on...
        async def both_set_aside() -> bool:
            return (await set_aside(client))["counts"] == {"verification.views": 2}

        await eventually(both_set_aside, timeout=30)
        listed = (await set_aside(client))["items"]
        reasons = " ".join(item["reason"] for item in listed)
        assert "ReportExploded" in reasons
        assert any(item["body"] == oversized.decode() for item in listed)
        assert {item["stream_id"] for item in listed} >= {f"report-{_id(oversized)}"}

        # ...and the deadline scan still flags the reports it can.
        good_path = f"/v1/reports/{good.stream_id.removeprefix('report-')}"
        clock.now = MONDAY + timedelta(days=10)

        async def flagged() -> bool:
            answer = await client.get(good_path, headers=LURAH)
            return answer.status_code == 200 and answer.json()["overdue"] is True

        await eventually(flagged, timeout=30)

        # Readiness names them but keeps the service in the load balancer.
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["status"] == "warn"
        [check] = ready.json()["checks"]["readers:set_aside"]
        assert check["status"] == "warn" and check["observedValue"] == 2
        assert "verification.views=2" in check["output"]
        metrics = (await client.get("/metrics")).text
        assert (
            'sipokat_set_aside_events{reader="verification.views",service="verification"} 2.0'
            in metrics
        )

        # A rebuild finishes, with every report it can fold, and sets them aside again.
        rebuilt = await client.post("/v1/verification/rebuild", headers=ADMIN)
        assert rebuilt.status_code == 200, rebuilt.text
        assert rebuilt.json() == {"reports_refolded": 3}
        again = await client.get(good_path, headers=LURAH)
        assert again.status_code == 200 and again.json()["overdue"] is True
        assert (await set_aside(client))["counts"] == {"verification.views": 2}


def _id(body: bytes) -> str:
    return str(json.loads(body)["data"]["report_id"])


async def test_a_decision_whose_view_cannot_be_written_answers_and_is_retried_after_a_fix(
    service: Started, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = uuid4()
    write_documents = handlers._write_documents

    async def unwritable(tx: ViewTransaction, state: Report, events: list[Envelope]) -> None:
        if state.report_id == bad:  # a value the store cannot hold, as in the issue
            raise OverflowError("Integer exceeds 64-bit range")
        await write_documents(tx, state, events)

    monkeypatch.setattr(handlers, "_write_documents", unwritable)
    async with service() as (client, app):
        await recorder(app)(submitted(bad))
        path = f"/v1/reports/{bad}"
        # Each decision is recorded and answered as it stands, though its view is not written.
        for headers, status in [
            (LURAH, "awaiting_kecamatan"),
            (CAMAT, "awaiting_kota"),
            (PEMKOT, "verified"),
        ]:
            answer = await client.post(f"{path}/decisions", json=APPROVE, headers=headers)
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == status
        # The status read does not pretend the report is missing: it is folded from the store.
        status = await client.get(path, headers=LURAH)
        assert status.status_code == 200, status.text
        assert status.json()["status"] == "verified" and len(status.json()["timeline"]) == 5
        assert (await client.get(path, headers=bearer("lurah", "16.73.01.1001"))).status_code == 404
        listed = await set_aside(client)
        assert listed["counts"] == {"verification.views": 4}
        assert all(
            i["reason"] == "OverflowError: Integer exceeds 64-bit range" for i in listed["items"]
        )

        still = await client.post("/ops/set-aside/retry", headers=ADMIN, json={})
        assert still.status_code == 200
        assert len(still.json()["still_set_aside"]) == 4 and still.json()["applied"] == []

        monkeypatch.setattr(handlers, "_write_documents", write_documents)  # the fix
        retried = await client.post(
            "/ops/set-aside/retry", headers=ADMIN, json={"reader": "verification.views"}
        )
        assert retried.status_code == 200, retried.text
        assert len(retried.json()["applied"]) == 4 and retried.json()["still_set_aside"] == []
        status = await client.get(path, headers=LURAH)
        assert status.status_code == 200 and status.json()["status"] == "verified"
        assert (await set_aside(client))["counts"] == {}
        ready = await client.get("/health/ready")
        assert ready.json()["checks"]["readers:set_aside"][0]["status"] == "pass"


def later_unknown_event(report_id: UUID) -> bytes:
    """An event of a type this code does not know, as version 2 of the report's stream."""
    body = json.loads(unknown_type(report_id))
    body["stream_version"] = 2
    return json.dumps(body).encode()


async def test_a_report_holding_an_unreadable_event_answers_503_to_decisions_and_status(
    service: Started,
) -> None:
    async with service() as (client, app):
        good = submitted()
        await recorder(app)(good)
        report_id = good.data.report_id  # type: ignore[attr-defined]
        path = f"/v1/reports/{report_id}"
        database = runtime_of_app(app).database
        assert isinstance(database, SqliteDatabase)
        bad = later_unknown_event(report_id)
        await store_raw(database, bad)
        bad_id = json.loads(bad)["event_id"]

        decided = await client.post(f"{path}/decisions", json=APPROVE, headers=LURAH)
        assert decided.status_code == 503, decided.text
        problem = decided.json()
        assert problem["type"].endswith("/report-set-aside")
        assert bad_id in problem["detail"] and "cannot be decided" in problem["detail"]
        assert problem["set_aside"] == {"reader": "verification.views", "key": bad_id}
        assert bad_id in {item["key"] for item in (await set_aside(client))["items"]}
        # Nothing was written: the stream still ends at the unreadable event.
        assert await database.events.stream_version(good.stream_id) == 2

        status = await client.get(path, headers=LURAH)
        assert status.status_code == 503, status.text
        assert status.json()["type"].endswith("/report-set-aside")
        assert "cannot be shown" in status.json()["detail"]

        # Who may not see the report learns nothing of it.
        other = bearer("lurah", "16.73.01.1001")
        assert (
            await client.post(f"{path}/decisions", json=APPROVE, headers=other)
        ).status_code == 404
        assert (await client.get(path, headers=other)).status_code == 404
        # A report whose only event cannot be read cannot be placed: 404 for everyone.
        alone = unknown_type()
        await store_raw(database, alone)
        alone_path = f"/v1/reports/{_id(alone)}"
        assert (await client.get(alone_path, headers=LURAH)).status_code == 404
        assert (
            await client.post(f"{alone_path}/decisions", json=APPROVE, headers=LURAH)
        ).status_code == 404


async def test_only_admins_see_and_retry_set_aside_events(service: Started) -> None:
    async with service() as (client, _):
        for headers in (LURAH, bearer("integrator", None)):
            assert (await client.get("/ops/set-aside", headers=headers)).status_code == 403
            retry = await client.post("/ops/set-aside/retry", headers=headers)
            assert retry.status_code == 403
        assert (await client.get("/ops/set-aside")).status_code == 401
