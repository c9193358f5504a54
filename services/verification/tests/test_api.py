"""The HTTP API of verification, in-process through its bootstrap with its scheduler: who may
see and decide what, problem details, the worklist, on a memory store with no broker (the test
hands the consumer's handler intake's events); deadlines across restarts with the real store,
relay and broker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import aio_pika
import httpx
import pytest
from verification_support import MONDAY

from sipokat.events.broker.topology import declare_exchange
from sipokat.events.catalogue import Bidang, ReportKind
from sipokat.events.envelope import Envelope
from sipokat.events.store.memory import MemoryDatabase
from sipokat.events.testing import TrackedTopology, eventually, make_content, make_submitted
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import (
    bearer,
    consumer_handler,
    free_port,
    in_memory,
    runtime_of_app,
    service_client,
)
from sipokat.verification.bootstrap import create_app
from sipokat.verification.settings import VerificationSettings

RT = "16.73.02.1019/007"
KELURAHAN, KECAMATAN, KOTA = "16.73.02.1019", "16.73.02", "16.73"
LURAH, CAMAT, PEMKOT = (
    bearer("lurah", KELURAHAN),
    bearer("camat", KECAMATAN),
    bearer("pemkot", KOTA),
)
APPROVE = {"decision": "approve"}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def _service(
    settings: VerificationSettings, clock: Clock, memory: MemoryDatabase | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, Callable[[Envelope], Any]]]:
    app = create_app(settings, clock=clock)
    if memory is not None:
        in_memory(app, memory)
    async with service_client(app) as client:
        runtime = runtime_of_app(app)
        if memory is not None:  # nothing on the broker, and the store is the memory one
            assert runtime.relay is None and runtime.consumer is None
            database = runtime.database
            assert isinstance(database, MemoryDatabase) and database.storage is memory.storage
        # What the consumer does with intake's event, without waiting for the broker.
        yield client, consumer_handler(app)


Service = Callable[[], AbstractAsyncContextManager[tuple[httpx.AsyncClient, Any]]]


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY + timedelta(hours=1))


@pytest.fixture
def service(clock: Clock) -> Service:
    """The service on a memory store, with no broker."""
    # A port nothing listens on: were anything to reach for a broker, it would find none.
    settings = VerificationSettings(
        rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/", scan_interval=0.1
    )
    memory = MemoryDatabase()
    return lambda: _service(settings, clock, memory)


@pytest.fixture
def real_service(
    tmp_path: Path, rabbitmq_url: str, topology: TrackedTopology, clock: Clock
) -> Service:
    """The service on its SQLite file, with its relay and consumer on the real broker."""
    settings = VerificationSettings(
        data_dir=tmp_path,
        rabbitmq_url=rabbitmq_url,
        broker_prefix=topology.prefix,
        scan_interval=0.1,
    )
    return lambda: _service(settings, clock)


def submitted(
    rt: str = RT, kind: ReportKind = ReportKind.KEGIATAN, bidang: Bidang | None = None
) -> Envelope:
    content = make_content(kind, bidang=bidang or Bidang.KESEHATAN_LINGKUNGAN)
    envelope = make_submitted(rt_code=rt, content=content)
    return envelope.model_copy(update={"occurred_at": MONDAY})


def report_id(envelope: Envelope) -> str:
    return envelope.stream_id.removeprefix("report-")


async def test_who_sees_and_who_decides(service: Service) -> None:
    # (role, wilayah, GET status, decision status on a report awaiting the lurah)
    matrix = [
        ("ketua_rt", RT, 200, 403),
        ("ketua_rt", "16.73.02.1019/006", 404, 403),  # the neighbouring RT
        ("lurah", KELURAHAN, 200, 200),
        ("lurah", "16.73.02.1018", 404, 404),
        ("camat", KECAMATAN, 200, 409),  # sees it, but it is not the camat's turn
        ("camat", "16.73.01", 404, 404),
        ("pemkot", KOTA, 200, 409),
        ("pemkot", "35.71", 404, 404),  # Kota Kediri's office
        ("admin", None, 200, 403),
        ("integrator", None, 404, 403),
    ]
    wrong = []
    async with service() as (client, record):
        for role, wilayah, can_see, decides in matrix:
            event = submitted()
            await record(event)
            path = f"/v1/reports/{report_id(event)}"
            headers = bearer(role, wilayah)
            seen = (await client.get(path, headers=headers)).status_code
            decided = await client.post(f"{path}/decisions", json=APPROVE, headers=headers)
            if (seen, decided.status_code) != (can_see, decides):
                wrong.append((role, wilayah, seen, decided.status_code))
            if decided.status_code >= 400:
                assert decided.headers["content-type"] == "application/problem+json"
        unknown = await client.get(f"/v1/reports/{uuid4()}", headers=LURAH)
        hidden = await client.get(
            f"/v1/reports/{report_id(event)}", headers=bearer("lurah", "16.73.02.1018")
        )
        assert unknown.json()["title"] == hidden.json()["title"] == "Not found"
        # A role that never decides is refused whatever the id: 403 does not tell which exist.
        for role, wilayah, _, decides in matrix:
            if decides == 403:
                none = await client.post(
                    f"/v1/reports/{uuid4()}/decisions", json=APPROVE, headers=bearer(role, wilayah)
                )
                if none.status_code != 403:
                    wrong.append((role, wilayah, "unknown report", none.status_code))
    assert wrong == [], "(role, wilayah, GET, POST decision) not as the matrix says"


async def test_a_report_goes_through_three_tiers_and_shows_its_timeline(
    service: Service,
) -> None:
    async with service() as (client, record):
        event = submitted()
        await record(event)
        path = f"/v1/reports/{report_id(event)}"
        first = await client.post(
            f"{path}/decisions",
            json={"decision": "approve", "note": "Foto lengkap", "expected_version": 1},
            headers={**LURAH, "X-Correlation-ID": "lurah-ok-1"},
        )
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "awaiting_kecamatan"
        assert first.json()["due_at"] == "2026-03-05T17:00:00+00:00"
        await client.post(f"{path}/decisions", json=APPROVE, headers=CAMAT)
        final = await client.post(
            f"{path}/decisions",
            json={"decision": "approve", "counts_for_performance": True},
            headers=PEMKOT,
        )
        assert final.json()["status"] == "verified"
        status = (await client.get(path, headers=bearer("ketua_rt", RT))).json()
        assert status["counts_for_performance"] is True
        timeline = status["timeline"]
        assert [step["event"] for step in timeline] == [
            "ReportSubmitted",
            "ReportApproved",
            "ReportApproved",
            "ReportApproved",
            "ReportVerified",
        ]
        lurah_step = timeline[1]
        assert lurah_step["tier"] == "kelurahan"
        assert lurah_step["note"] == "Foto lengkap"
        assert lurah_step["by"] == {
            "subject": f"lurah-{KELURAHAN}",
            "role": "lurah",
            "wilayah": KELURAHAN,
        }
        assert lurah_step["next_tier"] == "kecamatan"
        assert "queue_key" not in status


async def test_the_stream_after_a_version_is_served_to_who_may_see_the_report(
    service: Service,
) -> None:
    async with service() as (client, record):
        event = submitted()
        await record(event)
        path = f"/v1/reports/{report_id(event)}"
        rejected = await client.post(
            f"{path}/decisions",
            json={"decision": "reject", "reason_code": "incomplete", "note": "Lengkapi"},
            headers=LURAH,
        )
        assert rejected.status_code == 200, rejected.text
        rt = bearer("ketua_rt", RT)
        answer = await client.get(f"{path}/events", params={"after": 1}, headers=rt)
        assert answer.status_code == 200, answer.text
        events = [Envelope.model_validate(e) for e in answer.json()["events"]]
        assert [(e.type, e.stream_version) for e in events] == [("ReportRejected", 2)]
        assert answer.json()["version"] == 2
        everything = await client.get(f"{path}/events", headers=rt)
        ids = [e["event_id"] for e in everything.json()["events"]]
        assert ids == [str(event.event_id), str(events[0].event_id)]
        neighbour = await client.get(f"{path}/events", headers=bearer("ketua_rt", RT[:-1] + "6"))
        assert neighbour.status_code == 404


async def test_bad_decisions_answer_problem_details(service: Service) -> None:
    async with service() as (client, record):
        event = submitted()
        await record(event)
        path = f"/v1/reports/{report_id(event)}/decisions"

        async def pointers(body: dict[str, Any]) -> list[str]:
            answer = await client.post(path, json=body, headers=LURAH)
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            return [e["pointer"] for e in answer.json()["errors"]]

        assert await pointers({"decision": "reject"}) == ["/body/reason_code", "/body/note"]
        assert await pointers({"decision": "reject", "reason_code": "duplicate", "note": "  "}) == [
            "/body/note"
        ]
        assert await pointers({"decision": "reject", "reason_code": "lazy", "note": "x"}) == [
            "/body/reason_code"
        ]
        assert await pointers({"decision": "approve", "reason_code": "other"}) == [
            "/body/reason_code"
        ]
        assert await pointers({"decision": "maybe"}) == ["/body/decision"]
        assert await pointers({**APPROVE, "verifier": "me"}) == ["/body/verifier"]
        missing = await client.post(f"/v1/reports/{uuid4()}/decisions", json=APPROVE, headers=LURAH)
        assert missing.status_code == 404


@pytest.mark.parametrize("subject", ["", "x" * 201], ids=["empty", "201 characters"])
async def test_a_token_whose_subject_no_event_could_carry_is_401(
    service: Service, subject: str
) -> None:
    async with service() as (client, record):
        event = submitted()
        await record(event)
        token = mint_token(ServiceSettings(), subject=subject, role="lurah", wilayah=KELURAHAN)
        answer = await client.post(
            f"/v1/reports/{report_id(event)}/decisions",
            json=APPROVE,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 401, answer.text  # was a 500, the decision unrecorded
        assert answer.headers["content-type"] == "application/problem+json"
        status = await client.get(f"/v1/reports/{report_id(event)}", headers=LURAH)
        assert status.json()["status"] == "awaiting_kelurahan"


async def test_a_note_with_control_characters_is_422_naming_it(service: Service) -> None:
    async with service() as (client, record):
        event = submitted()
        await record(event)
        answer = await client.post(
            f"/v1/reports/{report_id(event)}/decisions",
            json={"decision": "reject", "reason_code": "other", "note": "Foto\x00buram"},
            headers=LURAH,
        )
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["errors"]
        assert error["pointer"] == "/body/note"
        assert "control characters" in error["detail"]


async def test_wrong_tier_stale_and_closed_answer_409_with_the_current_state(
    service: Service,
) -> None:
    async with service() as (client, record):
        event = submitted()
        await record(event)
        path = f"/v1/reports/{report_id(event)}/decisions"
        wrong = await client.post(path, json=APPROVE, headers=CAMAT)
        assert wrong.status_code == 409
        assert wrong.json()["reason"] == "wrong_tier"
        assert wrong.json()["current"] == {
            "status": "awaiting_kelurahan",
            "tier": "kelurahan",
            "version": 1,
            "round": 1,
        }
        rejected = await client.post(
            path,
            json={"decision": "reject", "reason_code": "no_evidence", "note": "Tanpa foto"},
            headers=LURAH,
        )
        assert rejected.json()["status"] == "awaiting_revision"
        stale = await client.post(path, json={**APPROVE, "expected_version": 1}, headers=LURAH)
        assert stale.json()["reason"] == "stale"
        assert stale.json()["current"]["version"] == 2
        closed = await client.post(path, json=APPROVE, headers=LURAH)
        assert (closed.status_code, closed.json()["reason"]) == (409, "closed")


async def test_the_worklist_is_per_tier_and_area_oldest_due_first(
    service: Service, clock: Clock
) -> None:
    async with service() as (client, record):
        events = []
        for day, (rt, kind, bidang) in enumerate(
            [
                (RT, ReportKind.KEGIATAN, Bidang.KESEHATAN_LINGKUNGAN),
                ("16.73.02.1019/003", ReportKind.USULAN, Bidang.PEMBANGUNAN),
                (RT, ReportKind.KEGIATAN, Bidang.PEMERINTAHAN),
                (RT, ReportKind.KEGIATAN, Bidang.KESEHATAN_LINGKUNGAN),
            ]
        ):
            event = submitted(rt, kind, bidang)
            # Submitted on consecutive days, listed in reverse: the order must come from due.
            events.append(event.model_copy(update={"occurred_at": MONDAY + timedelta(days=day)}))
        for event in reversed(events):
            await record(event)
        ids = [report_id(e) for e in events]

        async def queue(headers: dict[str, str], **params: Any) -> dict[str, Any]:
            answer = await client.get("/v1/verification/queue", params=params, headers=headers)
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        whole = await queue(LURAH)
        assert [item["report_id"] for item in whole["items"]] == ids
        assert whole["counts"] == {"total": 4, "overdue": 0, "matching": 4, "matching_overdue": 0}
        assert whole["tier"] == "kelurahan"
        assert (await queue(bearer("lurah", "16.73.02.1018")))["items"] == []
        assert (await queue(CAMAT))["items"] == []

        usulan = await queue(LURAH, kind="usulan")
        assert [i["report_id"] for i in usulan["items"]] == [ids[1]]
        assert usulan["counts"]["matching"] == 1
        kesling = await queue(LURAH, bidang="kesehatan_lingkungan")
        assert [i["report_id"] for i in kesling["items"]] == [ids[0], ids[3]]

        pages, cursor = [], None
        while True:
            page = await queue(LURAH, limit=3, **({"cursor": cursor} if cursor else {}))
            pages.append([i["report_id"] for i in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == [ids[:3], ids[3:]]

        await client.post(f"/v1/reports/{ids[0]}/decisions", json=APPROVE, headers=LURAH)
        assert [i["report_id"] for i in (await queue(CAMAT))["items"]] == [ids[0]]
        assert (await queue(LURAH))["counts"]["total"] == 3

        # Saturday: the Tuesday report's three working days are over (the Monday one moved on
        # to the camat, whose own clock is over too); the later ones still have days left.
        clock.now = MONDAY + timedelta(days=5)
        overdue = await eventually(
            lambda: _overdue(client), timeout=30, message="the scheduler flags due reports"
        )
        assert [i["report_id"] for i in overdue["items"]] == [ids[1]]
        assert overdue["counts"]["overdue"] == 1
        camat_overdue = await client.get("/v1/verification/queue?overdue=true", headers=CAMAT)
        assert [i["report_id"] for i in camat_overdue.json()["items"]] == [ids[0]]

        refused = await client.get("/v1/verification/queue", headers=bearer("ketua_rt", RT))
        assert refused.status_code == 403
        bad = await client.get("/v1/verification/queue?cursor=%%%", headers=LURAH)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["pointer"] == "/query/cursor"


async def _overdue(client: httpx.AsyncClient) -> dict[str, Any] | None:
    answer = await client.get("/v1/verification/queue?overdue=true", headers=LURAH)
    body: dict[str, Any] = answer.json()
    return body if body["items"] else None


@pytest.mark.broker
async def test_the_scheduler_flags_a_deadline_once_across_restarts(
    real_service: Service, clock: Clock, rabbitmq_url: str, topology: TrackedTopology
) -> None:
    service = real_service
    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, topology)
        integrator = await channel.declare_queue(exclusive=True)
        await integrator.bind(exchange, routing_key="report.overdue.#")

        event = submitted()
        path = f"/v1/reports/{report_id(event)}"
        async with service() as (client, record):
            await record(event)
            # Several scans before the due time: nothing.
            status = (await client.get(path, headers=LURAH)).json()
            assert status["due_at"] == "2026-03-05T17:00:00+00:00"
        clock.now = datetime.fromisoformat(status["due_at"]) + timedelta(minutes=1)
        async with service() as (client, _):  # after the deadline
            flagged = await eventually(
                lambda: _flagged(client, path), timeout=30, message="the overdue flag"
            )
            # Published while this instance runs (a relay that stops before it publishes
            # leaves the event to the next holder of its lease, seconds later).
            message = await eventually(lambda: integrator.get(fail=False), timeout=30)
        notice = json.loads(message.body)
        assert message.routing_key == "report.overdue.kelurahan"
        assert notice["data"]["due_at"] == "2026-03-05T17:00:00Z"
        await message.ack()
        async with service() as (client, _):  # and again after a restart: still one notice
            await asyncio.sleep(1.0)  # ten scans of the scheduler
            again = (await client.get(path, headers=LURAH)).json()
        assert [step["event"] for step in again["timeline"]] == [
            "ReportSubmitted",
            "VerificationOverdue",
        ]
        assert again["timeline"] == flagged["timeline"]
        assert await integrator.get(fail=False, timeout=2) is None


async def _flagged(client: httpx.AsyncClient, path: str) -> dict[str, Any] | None:
    body: dict[str, Any] = (await client.get(path, headers=LURAH)).json()
    return body if body["overdue"] else None


async def test_an_admin_rebuilds_the_views_from_the_event_store(service: Service) -> None:
    async with service() as (client, record):
        event = submitted()
        await record(event)
        path = f"/v1/reports/{report_id(event)}"
        decided = await client.post(f"{path}/decisions", json=APPROVE, headers=LURAH)
        assert decided.status_code == 200, decided.text
        before = (await client.get(path, headers=LURAH)).json()

        refused = await client.post("/v1/verification/rebuild", headers=LURAH)
        assert refused.status_code == 403
        rebuilt = await client.post("/v1/verification/rebuild", headers=bearer("admin", None))
        assert rebuilt.status_code == 200, rebuilt.text
        assert rebuilt.json()["reports_refolded"] == 1

        after = (await client.get(path, headers=LURAH)).json()
        assert after == before


async def test_decision_problems_answer_in_indonesian_when_asked(service: Service) -> None:
    indonesian = {"Accept-Language": "id"}
    async with service() as (client, record):
        event = submitted()
        await record(event)
        path = f"/v1/reports/{report_id(event)}/decisions"
        invalid = await client.post(
            path, json={"decision": "reject"}, headers={**LURAH, **indonesian}
        )
        assert (invalid.status_code, invalid.json()["title"]) == (422, "Keputusan tidak valid")
        assert invalid.json()["errors"][0]["detail"] == "penolakan wajib memakai kode alasan"
        assert invalid.headers["content-language"] == "id"
        rt = await client.post(path, json=APPROVE, headers={**bearer("ketua_rt", RT), **indonesian})
        assert (rt.status_code, rt.json()["detail"]) == (
            403,
            "peran ketua_rt tidak memverifikasi laporan",
        )
        early = await client.post(path, json=APPROVE, headers={**CAMAT, **indonesian})
        assert (early.status_code, early.json()["title"]) == (409, "Konflik")
        assert early.json()["detail"] == "laporan menunggu tingkat kelurahan, bukan tingkat Anda"
        gone = await client.post(
            f"/v1/reports/{uuid4()}/decisions", json=APPROVE, headers={**LURAH, **indonesian}
        )
        assert gone.json()["title"] == "Tidak ditemukan"
        assert gone.json()["detail"].startswith("tidak ada laporan")
        english = await client.post(path, json={"decision": "reject"}, headers=LURAH)
        assert english.json()["title"] == "Invalid decision"
