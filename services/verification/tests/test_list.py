"""GET /v1/reports: each role lists the reports of its area, newest first, with their summary,
last decision and signed photo links; filtered by status, a page at a time. On a memory store
with no broker (the test hands the consumer's handler intake's events), like test_api."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from verification_support import MONDAY

from sipokat.events.envelope import Envelope
from sipokat.events.foldversion import record_version
from sipokat.events.store.memory import MemoryDatabase
from sipokat.events.testing import make_content, make_revised, make_submitted
from sipokat.runtime.media import MediaSigner
from sipokat.runtime.testing import bearer, consumer_handler, free_port, in_memory, service_client
from sipokat.verification import handlers, queries
from sipokat.verification.bootstrap import create_app
from sipokat.verification.queries import partitions
from sipokat.verification.settings import VerificationSettings
from sipokat.wilayah import load_default_directory

RT = "16.73.02.1019/007"
NEIGHBOUR = "16.73.02.1019/006"
OTHER_KECAMATAN = "16.73.01.1001/001"
KEDIRI = "35.71.01.1001/001"
LURAH = bearer("lurah", "16.73.02.1019")
SETTINGS = VerificationSettings(rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/")

Service = Callable[[], AbstractAsyncContextManager[tuple[httpx.AsyncClient, Any]]]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def service() -> Service:
    memory = MemoryDatabase()

    @asynccontextmanager
    async def running() -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
        app = create_app(SETTINGS, clock=Clock(MONDAY + timedelta(days=1)))
        in_memory(app, memory)
        async with service_client(app) as client:
            yield client, consumer_handler(app)

    return running


def submitted(rt: str, hours: int, **content: Any) -> Envelope:
    envelope = make_submitted(rt_code=rt, content=make_content(**content))
    # The builders place every RT in Pelita Jaya: the directory knows where this one lies.
    data = envelope.data.model_copy(update={"wilayah": load_default_directory().rt_path(rt)})
    return envelope.model_copy(
        update={"data": data, "occurred_at": MONDAY + timedelta(hours=hours)}
    )


def ids(page: dict[str, Any]) -> list[str]:
    return [item["report_id"] for item in page["items"]]


def rid(envelope: Envelope) -> str:
    return envelope.stream_id.removeprefix("report-")


async def test_each_role_lists_its_areas_reports_newest_first(service: Service) -> None:
    mine_old, neighbour, mine_new, other, kediri = (
        submitted(RT, 1),
        submitted(NEIGHBOUR, 2),
        submitted(RT, 3),
        submitted(OTHER_KECAMATAN, 4),
        submitted(KEDIRI, 5),
    )
    everything = [mine_old, neighbour, mine_new, other, kediri]
    expected = {
        ("ketua_rt", RT): [mine_new, mine_old],
        ("ketua_rt", NEIGHBOUR): [neighbour],
        ("lurah", "16.73.02.1019"): [mine_new, neighbour, mine_old],
        ("camat", "16.73.02"): [mine_new, neighbour, mine_old],
        ("pemkot", "16.73"): [other, mine_new, neighbour, mine_old],
        ("pemkot", "35.71"): [kediri],
        ("admin", None): list(reversed(everything)),
    }
    async with service() as (client, record):
        for event in everything:
            await record(event)
        for (role, wilayah), reports in expected.items():
            answer = await client.get("/v1/reports", headers=bearer(role, wilayah))
            assert answer.status_code == 200, answer.text
            assert ids(answer.json()) == [rid(e) for e in reports], (role, wilayah)
        refused = await client.get(
            "/v1/reports", headers={**bearer("integrator", None), "Accept-Language": "id"}
        )
        assert refused.status_code == 403
        assert "tidak punya daftar laporan" in refused.json()["detail"]
        assert (await client.get("/v1/reports")).status_code == 401


async def test_a_rejection_shows_its_reason_and_a_revision_goes_back_to_the_lurah(
    service: Service,
) -> None:
    async with service() as (client, record):
        event = submitted(RT, 1, title="Kerja bakti parit")
        await record(event)
        first = (await client.get("/v1/reports", headers=bearer("ketua_rt", RT))).json()
        item = first["items"][0]
        assert item["title"] == "Kerja bakti parit"
        assert (item["status"], item["waiting_for"], item["revision"]) == (
            "awaiting_kelurahan",
            "lurah",
            0,
        )
        assert item["last_decision"] is None
        assert item["submitted_at"] == event.occurred_at.isoformat()
        assert (item["kind"], item["bidang"], item["activity_date"]) == (
            "kegiatan",
            "kesehatan_lingkungan",
            "2026-03-14",
        )
        rejection = {"decision": "reject", "reason_code": "no_evidence", "note": "Foto buram"}
        decided = await client.post(
            f"/v1/reports/{rid(event)}/decisions", json=rejection, headers=LURAH
        )
        assert decided.status_code == 200, decided.text
        rejected = (
            await client.get(
                "/v1/reports",
                params={"status": "awaiting_revision"},
                headers=bearer("ketua_rt", RT),
            )
        ).json()["items"][0]
        assert rejected["status"] == "awaiting_revision"
        assert rejected["waiting_for"] is None
        assert rejected["last_decision"] == {
            "decision": "reject",
            "reason_code": "no_evidence",
            "note": "Foto buram",
            "tier": "kelurahan",
            "decided_at": (MONDAY + timedelta(days=1)).isoformat(),
        }
        revised = make_revised(
            event.data.report_id,  # type: ignore[attr-defined]
            stream_version=3,
            rt_code=RT,
            content=make_content(title="Kerja bakti parit (foto baru)"),
        )
        await record(revised)
        page = (await client.get("/v1/reports", headers=bearer("ketua_rt", RT))).json()
        again = page["items"][0]
        assert (again["status"], again["waiting_for"], again["revision"]) == (
            "awaiting_kelurahan",
            "lurah",
            1,
        )
        assert again["title"] == "Kerja bakti parit (foto baru)"
        assert again["last_decision"] is None
        none_waiting = await client.get(
            "/v1/reports", params={"status": "awaiting_revision"}, headers=bearer("ketua_rt", RT)
        )
        assert none_waiting.json() == {"items": [], "next_cursor": None, "complete": True}
        unknown = await client.get(
            "/v1/reports", params={"status": "lost"}, headers=bearer("ketua_rt", RT)
        )
        assert unknown.status_code == 422


async def test_pages_follow_the_cursor_to_the_end(service: Service) -> None:
    async with service() as (client, record):
        events = [submitted(RT, hour) for hour in range(5)]
        for event in events:
            await record(event)
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (
                await client.get("/v1/reports", params=params, headers=bearer("ketua_rt", RT))
            ).json()
            seen += ids(page)
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert seen == [rid(e) for e in reversed(events)]
        bad = await client.get(
            "/v1/reports",
            params={"cursor": "not-a-cursor"},
            headers={**bearer("ketua_rt", RT), "Accept-Language": "id"},
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["pointer"] == "/query/cursor"
        assert "kursor tidak valid" in bad.json()["errors"][0]["detail"]
        too_many = await client.get(
            "/v1/reports", params={"limit": 101}, headers=bearer("ketua_rt", RT)
        )
        assert too_many.status_code == 422


async def test_photos_come_with_signed_links_in_the_list_and_the_status(
    service: Service,
) -> None:
    signer = MediaSigner(SETTINGS.media_url_secret.get_secret_value())
    now = (MONDAY + timedelta(days=1)).timestamp()
    async with service() as (client, record):
        event = submitted(RT, 1)
        await record(event)
        sha = event.data.content.photos[0].sha256  # type: ignore[attr-defined]
        listed = (await client.get("/v1/reports", headers=bearer("ketua_rt", RT))).json()
        status = (
            await client.get(f"/v1/reports/{rid(event)}", headers=bearer("ketua_rt", RT))
        ).json()
    for photos in (listed["items"][0]["photos"], status["photos"]):
        assert [p["sha256"] for p in photos] == [sha]
        link = urlsplit(photos[0]["url"])
        assert link.path == f"/v1/attachments/{sha}"
        query = parse_qs(link.query)
        exp = int(query["exp"][0])
        assert exp >= now + SETTINGS.photo_link_seconds
        assert signer.verify(sha, exp, query["sig"][0], now)
    # The status carries the report's content too, beside its summary and timeline.
    assert status["description"] == event.data.content.description  # type: ignore[attr-defined]
    assert status["content"]["title"] == status["title"]
    assert status["waiting_for"] == "lurah"
    assert status["revision"] == 0
    assert [step["event"] for step in status["timeline"]] == ["ReportSubmitted"]
    assert "list_key" not in listed["items"][0] and "rt" not in listed["items"][0]


async def test_a_rebuild_folds_the_list_from_the_event_store() -> None:
    database = MemoryDatabase()
    policy = SETTINGS.policy()
    events = [submitted(RT, 1), submitted(RT, 2)]
    for event in events:
        await database.events.append([event], publish=False)
    # A store folded before the list existed: status documents only, at the old version.
    await database.views.reset()
    await record_version(database.views, queries.FOLDED)
    assert await database.views.find(partitions.MONTHS, {}) == []

    class NoSetAside:
        async def keep(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("nothing is set aside")

        async def keep_envelope(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("nothing is set aside")

    await handlers.rebuild(database, policy, NoSetAside())  # type: ignore[arg-type]
    months = await database.views.find(partitions.MONTHS, {"axis": "submitted"})
    assert [m["base"] for m in months] == ["report_list.submitted.16.73"]
    listed = await database.views.find(f"{months[0]['base']}.2026-03", {"rt": RT})
    assert [doc["report_id"] for doc in listed] == [rid(e) for e in reversed(events)]
