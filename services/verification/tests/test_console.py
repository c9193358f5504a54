"""What the verifiers' console and the leaders' dashboard read (issue 24): worklist items with
the report's content, a verifier's own decisions, the report list's filters (area, kind,
bidang, status, period, text), its CSV export and its map. On the real SQLite store with no
broker: the test hands the consumer's handler intake's events, and decides through the API."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from verification_support import MONDAY

from sipokat.events.catalogue import Bidang, GeoPoint, ReportKind
from sipokat.events.envelope import Envelope
from sipokat.events.testing import make_content, make_overdue, make_submitted
from sipokat.runtime.auth import mint_token
from sipokat.runtime.media import MediaSigner
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import (
    bearer,
    consumer_handler,
    free_port,
    runtime_of_app,
    service_client,
)
from sipokat.verification.bootstrap import create_app
from sipokat.verification.queries import reportlist
from sipokat.verification.queries.partitions import Period
from sipokat.verification.settings import VerificationSettings
from sipokat.wilayah import load_default_directory

RT = "16.73.02.1019/007"
NEIGHBOUR = "16.73.02.1019/006"
OTHER_KELURAHAN_RT = "16.73.02.1018/001"  # same kecamatan, another kelurahan
OTHER_KECAMATAN = "16.73.01.1001/001"
KEL = "16.73.02.1019"
LURAH = bearer("lurah", KEL)
OTHER_LURAH = bearer("lurah", "16.73.02.1018")
CAMAT = bearer("camat", "16.73.02")
PEMKOT = bearer("pemkot", "16.73")
HERE = GeoPoint(latitude=-3.29, longitude=102.86)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


Running = tuple[httpx.AsyncClient, Callable[[Envelope], Any], Clock]
Service = Callable[[], AbstractAsyncContextManager[Running]]


@pytest.fixture
def settings(tmp_path: Path) -> VerificationSettings:
    return VerificationSettings(
        data_dir=tmp_path,
        rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/",
        public_base_url="https://sipokat.example.go.id",
    )


@pytest.fixture
def service(settings: VerificationSettings) -> Service:
    clock = Clock(MONDAY + timedelta(days=1))

    @asynccontextmanager
    async def running() -> AsyncIterator[Running]:
        app = create_app(settings, clock=clock)
        runtime_of_app(app).uses_broker = False  # the SQLite store stays: only no broker
        async with service_client(app) as client:
            yield client, consumer_handler(app), clock

    return running


def submitted(rt: str, hours: int, **content: Any) -> Envelope:
    envelope = make_submitted(rt_code=rt, content=make_content(**content))
    data = envelope.data.model_copy(update={"wilayah": load_default_directory().rt_path(rt)})
    return envelope.model_copy(
        update={"data": data, "occurred_at": MONDAY + timedelta(hours=hours)}
    )


def rid(envelope: Envelope) -> str:
    return envelope.stream_id.removeprefix("report-")


def ids(page: dict[str, Any]) -> list[str]:
    return [item["report_id"] for item in page["items"]]


async def approve(client: httpx.AsyncClient, report: str, who: dict[str, str]) -> None:
    answer = await client.post(
        f"/v1/reports/{report}/decisions", json={"decision": "approve"}, headers=who
    )
    assert answer.status_code == 200, answer.text


async def verify(client: httpx.AsyncClient, report: str) -> None:
    for who in (LURAH, CAMAT, PEMKOT):
        await approve(client, report, who)


async def test_worklist_items_carry_what_a_verifier_decides_on(
    service: Service, settings: VerificationSettings
) -> None:
    signer = MediaSigner(settings.media_url_secret.get_secret_value())
    async with service() as (client, record, clock):
        event = submitted(RT, 1, title="Kerja bakti parit", location=HERE)
        await record(event)
        answer = await client.get("/v1/verification/queue", headers=LURAH)
        assert answer.status_code == 200, answer.text
        item = answer.json()["items"][0]
        content = event.data.content  # type: ignore[attr-defined]
        assert item["description"] == content.description
        assert item["location"] == {"latitude": -3.29, "longitude": 102.86}
        assert (item["rt_code"], item["rt_name"]) == (RT, "RT 007")
        assert item["kelurahan_name"] == "Pelita Jaya"
        assert item["wilayah"]["kecamatan_name"] == "Lubuk Linggau Barat I"
        assert (item["round"], item["revision"], item["version"]) == (1, 0, 1)
        assert item["overdue"] is False and item["due_at"] > item["waiting_since"]
        assert item["submitted_at"] == event.occurred_at.isoformat()
        assert item["last_decision"] is None
        photo = item["photos"][0]
        link = urlsplit(photo["url"])
        query = parse_qs(link.query)
        assert link.path == f"/v1/attachments/{content.photos[0].sha256}"
        assert signer.verify(
            photo["sha256"], int(query["exp"][0]), query["sig"][0], clock.now.timestamp()
        )
        # The camat's item shows the lurah's approval it follows.
        await client.post(
            f"/v1/reports/{rid(event)}/decisions",
            json={"decision": "approve", "note": "Sesuai"},
            headers=LURAH,
        )
        camat_item = (await client.get("/v1/verification/queue", headers=CAMAT)).json()["items"][0]
        assert camat_item["last_decision"]["note"] == "Sesuai"
        assert camat_item["last_decision"]["tier"] == "kelurahan"
        assert "scope" not in camat_item and "due_key" not in camat_item


async def test_the_worklist_filters_by_kelurahan_and_rt_within_the_area(
    service: Service,
) -> None:
    async with service() as (client, record, _clock):
        here, neighbour, elsewhere = (
            submitted(RT, 1),
            submitted(NEIGHBOUR, 2),
            submitted(OTHER_KELURAHAN_RT, 3),
        )
        for event in (here, neighbour, elsewhere):
            await record(event)
            kelurahan = event.data.wilayah.kelurahan_code  # type: ignore[attr-defined]
            await approve(client, rid(event), bearer("lurah", kelurahan))

        async def queue(**params: str) -> dict[str, Any]:
            answer = await client.get("/v1/verification/queue", params=params, headers=CAMAT)
            assert answer.status_code == 200, answer.text
            return answer.json()  # type: ignore[no-any-return]

        assert set(ids(await queue())) == {rid(here), rid(neighbour), rid(elsewhere)}
        pelita = await queue(kelurahan="16.73.02.1019")
        assert set(ids(pelita)) == {rid(here), rid(neighbour)}
        assert pelita["counts"] == {"total": 3, "overdue": 0, "matching": 2, "matching_overdue": 0}
        assert ids(await queue(rt=NEIGHBOUR)) == [rid(neighbour)]
        # An area outside the camat's kecamatan is refused, not answered empty.
        outside = await client.get(
            "/v1/verification/queue",
            params={"kelurahan": "16.73.01.1001"},
            headers={**CAMAT, "Accept-Language": "id"},
        )
        assert outside.status_code == 403
        assert "di luar wilayah kewenangan" in outside.json()["detail"]
        bad = await client.get("/v1/verification/queue", params={"rt": "007"}, headers=CAMAT)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["pointer"] == "/query/rt"


async def test_my_decisions_are_mine_newest_first_and_searchable(service: Service) -> None:
    async with service() as (client, record, clock):
        parit, jalan, posyandu = (
            submitted(RT, 1, title="Kerja bakti parit"),
            submitted(NEIGHBOUR, 2, title="Perbaikan jalan"),
            submitted(RT, 3, title="Posyandu balita"),
        )
        for event in (parit, jalan, posyandu):
            await record(event)
        await approve(client, rid(parit), LURAH)
        clock.now += timedelta(hours=1)
        rejection = {"decision": "reject", "reason_code": "no_evidence", "note": "Foto buram"}
        answer = await client.post(
            f"/v1/reports/{rid(jalan)}/decisions", json=rejection, headers=LURAH
        )
        assert answer.status_code == 200
        clock.now += timedelta(days=40)  # into April (WIB)
        await approve(client, rid(posyandu), LURAH)
        await approve(client, rid(parit), CAMAT)  # the camat's, not the lurah's

        async def mine(who: dict[str, str] = LURAH, **params: str) -> dict[str, Any]:
            answer = await client.get("/v1/verification/decisions", params=params, headers=who)
            assert answer.status_code == 200, answer.text
            return answer.json()  # type: ignore[no-any-return]

        everything = await mine()
        assert ids(everything) == [rid(posyandu), rid(jalan), rid(parit)]
        first = everything["items"][2]
        assert (first["decision"], first["tier"], first["round"]) == ("approve", "kelurahan", 1)
        # The report as it stands now: the camat approved it since.
        assert first["status"] == "awaiting_kota"
        assert first["rt_code"] == RT and first["kelurahan_name"] == "Pelita Jaya"
        rejected = everything["items"][1]
        assert (rejected["reason_code"], rejected["note"]) == ("no_evidence", "Foto buram")
        assert ids(await mine(decision="reject")) == [rid(jalan)]
        assert ids(await mine(q="POSYANDU")) == [rid(posyandu)]
        assert ids(await mine(q="rt 006")) == [rid(jalan)]
        assert ids(await mine(rt=RT)) == [rid(posyandu), rid(parit)]
        assert ids(await mine(**{"from": "2026-03", "to": "2026-03"})) == [rid(jalan), rid(parit)]
        assert ids(await mine(**{"from": "2026-04"})) == [rid(posyandu)]
        assert ids(await mine(CAMAT)) == [rid(parit)]
        # Two at a time, to the end.
        page = await mine(limit="2")
        assert ids(page) == [rid(posyandu), rid(jalan)]
        rest = await mine(limit="2", cursor=page["next_cursor"])
        assert ids(rest) == [rid(parit)] and rest["next_cursor"] is None
        # Another lurah of the same kelurahan (another subject) decided none of these.
        token = mint_token(ServiceSettings(), subject="lurah-kedua", role="lurah", wilayah=KEL)
        assert ids(await mine({"Authorization": f"Bearer {token}"})) == []
        assert ids(await mine(OTHER_LURAH)) == []
        for role, wilayah in (("ketua_rt", RT), ("admin", None), ("integrator", None)):
            refused = await client.get("/v1/verification/decisions", headers=bearer(role, wilayah))
            assert refused.status_code == 403, role
        backwards = await client.get(
            "/v1/verification/decisions", params={"from": "2026-05", "to": "2026-03"}, headers=LURAH
        )
        assert backwards.status_code == 422
        assert backwards.json()["errors"][0]["pointer"] == "/query/from"


async def test_the_list_filters_within_the_callers_jurisdiction(service: Service) -> None:
    async with service() as (client, record, _clock):
        parit = submitted(RT, 1, title="Kerja bakti PARIT", activity_date=date(2026, 2, 20))
        usulan = submitted(
            NEIGHBOUR,
            2,
            kind=ReportKind.USULAN,
            bidang=Bidang.PEMBANGUNAN,
            title="Usulan jalan",
            description="Pelebaran JALAN lingkungan",
        )
        elsewhere = submitted(OTHER_KELURAHAN_RT, 3, description="Membersihkan parit besar")
        for event in (parit, usulan, elsewhere):
            await record(event)
        await verify(client, rid(parit))

        async def listed(who: dict[str, str], **params: str) -> list[str]:
            answer = await client.get("/v1/reports", params=params, headers=who)
            assert answer.status_code == 200, answer.text
            return ids(answer.json())

        # The RT's recent reports, to spot duplicates: ?rt= within the lurah's kelurahan.
        assert await listed(LURAH, rt=RT) == [rid(parit)]
        assert await listed(PEMKOT, kelurahan="16.73.02.1019") == [rid(usulan), rid(parit)]
        assert await listed(CAMAT, kind="usulan") == [rid(usulan)]
        assert await listed(PEMKOT, bidang="pembangunan") == [rid(usulan)]
        assert await listed(PEMKOT, status="verified") == [rid(parit)]
        # The RT performance figure: verified reports counted for performance, or not.
        assert await listed(PEMKOT, counts_for_performance="true") == [rid(parit)]
        assert await listed(PEMKOT, counts_for_performance="false") == []
        # An admin (every city) narrows to one city as the dashboard's city picker does.
        admin = bearer("admin", None)
        assert len(await listed(admin, kota="16.73")) == 3
        assert await listed(admin, kota="35.71") == []
        assert len(await listed(PEMKOT, kota="16.73")) == 3
        # q: in the title or the description, whatever the case.
        assert await listed(PEMKOT, q="parit") == [rid(elsewhere), rid(parit)]
        # A period goes by the activity date, as analytics' figures do ...
        assert await listed(PEMKOT, **{"from": "2026-02", "to": "2026-02"}) == [rid(parit)]
        assert await listed(PEMKOT, **{"from": "2026-03"}) == [rid(elsewhere), rid(usulan)]
        # ... or by the submission, when asked.
        by_submission = {"from": "2026-03", "to": "2026-03", "period_by": "submitted"}
        assert len(await listed(PEMKOT, **by_submission)) == 3
        # A lurah of another kelurahan sees nothing of this one, and may not ask for it.
        assert rid(parit) not in await listed(OTHER_LURAH)
        for who, params in (
            (OTHER_LURAH, {"rt": RT}),
            (OTHER_LURAH, {"kelurahan": "16.73.02.1019"}),
            (bearer("ketua_rt", NEIGHBOUR), {"rt": RT}),
            (bearer("pemkot", "35.71"), {"kecamatan": "16.73.02"}),
            (bearer("pemkot", "35.71"), {"kota": "16.73"}),
        ):
            refused = await client.get("/v1/reports", params=params, headers=who)
            assert refused.status_code == 403, params
        assert await listed(bearer("ketua_rt", RT), rt=RT) == [rid(parit)]
        bad = await client.get("/v1/reports", params={"kelurahan": "16.73"}, headers=PEMKOT)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["pointer"] == "/query/kelurahan"


async def test_the_list_finds_what_happened_to_reports_by_the_month_it_happened(
    service: Service,
) -> None:
    """The dashboard's decisions and overdue figures count events in the month they happened;
    `event` (and `period_by=event`, its default) lists the reports behind them."""
    async with service() as (client, record, clock):
        parit = submitted(RT, 1, title="Kerja bakti parit")
        jalan = submitted(NEIGHBOUR, 2, title="Perbaikan jalan")
        for event in (parit, jalan):
            await record(event)
        await approve(client, rid(parit), LURAH)  # in March (WIB)
        clock.now += timedelta(days=40)  # into April
        rejection = {"decision": "reject", "reason_code": "no_evidence", "note": "Foto buram"}
        answer = await client.post(
            f"/v1/reports/{rid(jalan)}/decisions", json=rejection, headers=LURAH
        )
        assert answer.status_code == 200

        async def listed(**params: str) -> list[str]:
            answer = await client.get("/v1/reports", params=params, headers=PEMKOT)
            assert answer.status_code == 200, answer.text
            return ids(answer.json())

        assert await listed(event="approved_kelurahan") == [rid(parit)]
        assert await listed(event="rejected_kelurahan") == [rid(jalan)]
        assert await listed(event="approved_kecamatan") == []
        # The month of the decision, not of the activity (14 March) or the submission.
        april = {"from": "2026-04", "to": "2026-04"}
        assert await listed(event="approved_kelurahan", **april) == []
        assert await listed(event="rejected_kelurahan", **april) == [rid(jalan)]
        march = {"from": "2026-03", "to": "2026-03", "period_by": "event"}
        assert await listed(event="approved_kelurahan", **march) == [rid(parit)]
        assert await listed(event="rejected_kelurahan", kelurahan=KEL, **march) == []
        assert await listed(event="overdue") == []
        alone = await client.get("/v1/reports", params={"period_by": "event"}, headers=PEMKOT)
        assert alone.status_code == 422
        assert alone.json()["errors"][0]["pointer"] == "/query/period_by"
        unknown = await client.get("/v1/reports", params={"event": "verified"}, headers=PEMKOT)
        assert unknown.status_code == 422


def test_what_happened_is_kept_by_tier_and_wib_month() -> None:
    """Overdue notices come from verification's own scheduler: their part of an entry, pure."""
    report = submitted(RT, 1)
    late = make_overdue(report.data.report_id, stream_version=2)  # type: ignore[attr-defined]
    detected = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
    late = late.model_copy(update={"data": late.data.model_copy(update={"detected_at": detected})})
    assert reportlist.happenings([report, late]) == ["overdue_kelurahan|2026-04"]  # 01:00 WIB
    keep = reportlist.ListFilter(event="overdue", event_period=Period("2026-04", "2026-04")).keep()
    entry = {"title": "t", "description": "d", "happened": ["overdue_kelurahan|2026-04"]}
    assert keep(entry)
    assert not keep({**entry, "happened": ["overdue_kelurahan|2026-03"]})
    assert not reportlist.ListFilter(event="overdue_kota").keep()(entry)


async def test_a_period_pages_across_months_without_a_gap(service: Service) -> None:
    async with service() as (client, record, _clock):
        events = [
            submitted(RT, hour, activity_date=date(2026, month, 10))
            for hour, month in enumerate((1, 2, 2, 3, 1))
        ]
        for event in events:
            await record(event)
        seen: list[str] = []
        cursor = None
        while True:
            params = {"from": "2026-01", "to": "2026-03", "limit": "2"}
            answer = await client.get(
                "/v1/reports",
                params={**params, **({"cursor": cursor} if cursor else {})},
                headers=LURAH,
            )
            page = answer.json()
            seen += ids(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        # Newest activity first; the same day, newest submission first.
        order = [events[3], events[2], events[1], events[4], events[0]]
        assert seen == [rid(e) for e in order]


async def test_a_month_cut_at_the_scan_bound_ends_the_list_marked_incomplete(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sipokat.verification.queries import partitions

    monkeypatch.setattr(partitions, "SCAN_LIMIT", 2)
    async with service() as (client, record, _clock):
        march = [submitted(RT, hour) for hour in range(3)]
        for event in march:
            await record(event)
        page = (await client.get("/v1/reports", params={"limit": 10}, headers=LURAH)).json()
        # Two of March's three read: the list ends there rather than skip the third.
        assert ids(page) == [rid(march[2]), rid(march[1])]
        assert page["complete"] is False and page["next_cursor"] is None


async def test_the_csv_export(service: Service) -> None:
    async with service() as (client, record, _clock):
        tricky = submitted(
            RT,
            1,
            title='=HYPERLINK("http://evil")',
            description='Parit, "besar"\nbaris dua',
        )
        plain = submitted(NEIGHBOUR, 2, title="-5 karung", bidang=Bidang.EKONOMI)
        elsewhere = submitted(OTHER_KELURAHAN_RT, 3)
        for event in (tricky, plain, elsewhere):
            await record(event)
        await verify(client, rid(tricky))
        answer = await client.get("/v1/reports", params={"format": "csv"}, headers=LURAH)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        disposition = answer.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="laporan-16.73.02.1019.csv"')
        body = answer.content
        assert body.startswith(b"\xef\xbb\xbf")
        assert b"\r\n" in body
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
        assert rows[0] == [
            "ID laporan", "Judul", "Uraian", "Bidang", "Jenis", "Kelurahan", "RT", "Dikirim",
            "Diputuskan lurah", "Diputuskan camat", "Diputuskan pemkot", "Status", "URL",
            "Kecamatan", "Tanggal kegiatan", "Lintang", "Bujur",
        ]  # fmt: skip
        by_id = {row[0]: row for row in rows[1:]}
        assert set(by_id) == {rid(tricky), rid(plain)}  # the lurah's kelurahan only
        row = by_id[rid(tricky)]
        assert row[1] == '\'=HYPERLINK("http://evil")'  # read as text, not a formula
        assert row[2] == 'Parit, "besar"\nbaris dua'  # quoted, kept whole
        assert row[5:8] == ["Pelita Jaya", RT, "2026-03-02T10:00:00+07:00"]
        # Each tier's decision, in WIB (the service's clock: Tuesday 09:00 WIB).
        assert row[8:11] == ["2026-03-03T09:00:00+07:00"] * 3
        assert row[11] == "Terverifikasi"
        # The report's page in the console, as FixMyStreet's "Report URL" is its page.
        assert row[12] == f"https://sipokat.example.go.id/console/#/report/{rid(tricky)}"
        assert row[13:15] == ["Lubuk Linggau Barat I", "2026-03-14"]
        assert row[15:17] == ["", ""]  # no location
        assert by_id[rid(plain)][1] == "'-5 karung" and by_id[rid(plain)][3] == "Ekonomi"
        assert by_id[rid(plain)][8:11] == ["", "", ""]
        english = await client.get(
            "/v1/reports",
            params={"status": "verified"},
            headers={**LURAH, "Accept": "text/csv", "Accept-Language": "en"},
        )
        rows = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"), newline="")))
        assert rows[0][:3] == ["Report ID", "Title", "Detail"]
        assert [r[0] for r in rows[1:]] == [rid(tricky)]
        assert rows[1][11] == "Verified"
        assert english.headers["content-disposition"].startswith(
            'attachment; filename="reports-16.73.02.1019.csv"'
        )


async def test_the_map_is_geojson_of_verified_reports_with_a_location(service: Service) -> None:
    async with service() as (client, record, _clock):
        mapped = submitted(RT, 1, location=HERE, title="Taman baca")
        unverified = submitted(RT, 2, location=HERE)
        nowhere = submitted(RT, 3)
        elsewhere = submitted(OTHER_KELURAHAN_RT, 4, location=HERE)
        for event in (mapped, unverified, nowhere, elsewhere):
            await record(event)
        for event in (mapped, nowhere):
            await verify(client, rid(event))
        answer = await client.get("/v1/reports/map", headers=LURAH)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/geo+json"
        body = answer.json()
        assert body["type"] == "FeatureCollection"
        assert (body["limit"], body["truncated"]) == (2000, False)
        [feature] = body["features"]
        assert feature["type"] == "Feature" and feature["id"] == rid(mapped)
        assert feature["geometry"] == {"type": "Point", "coordinates": [102.86, -3.29]}
        assert feature["properties"]["title"] == "Taman baca"
        assert feature["properties"]["kelurahan_name"] == "Pelita Jaya"
        assert feature["properties"]["activity_date"] == "2026-03-14"
        other = await client.get("/v1/reports/map", headers=OTHER_LURAH)
        assert other.json()["features"] == []
        refused = await client.get("/v1/reports/map", headers=bearer("integrator", None))
        assert refused.status_code == 403


async def test_a_rebuild_from_the_event_store_gives_the_same_answers(service: Service) -> None:
    async with service() as (client, record, clock):
        events = [
            submitted(RT, 1, location=HERE, activity_date=date(2026, 2, 1)),
            submitted(NEIGHBOUR, 2, kind=ReportKind.USULAN),
            submitted(OTHER_KELURAHAN_RT, 3, location=HERE),
            submitted(RT, 4),
        ]
        for event in events:
            await record(event)
        await verify(client, rid(events[0]))
        await approve(client, rid(events[2]), OTHER_LURAH)
        rejection = {"decision": "reject", "reason_code": "duplicate", "note": "Sudah ada"}
        await client.post(f"/v1/reports/{rid(events[1])}/decisions", json=rejection, headers=LURAH)
        reads = [
            ("/v1/reports", PEMKOT, {}),
            ("/v1/reports", PEMKOT, {"from": "2026-02", "kelurahan": KEL}),
            ("/v1/reports", LURAH, {"format": "csv"}),
            ("/v1/reports/map", PEMKOT, {}),
            ("/v1/verification/queue", CAMAT, {}),
            ("/v1/verification/queue", LURAH, {}),
            ("/v1/verification/decisions", LURAH, {}),
            ("/v1/verification/decisions", PEMKOT, {}),
        ]

        async def answers() -> list[bytes]:
            found = []
            for path, who, params in reads:
                answer = await client.get(path, params=params, headers=who)
                assert answer.status_code == 200, (path, answer.text)
                found.append(answer.content)
            return found

        before = await answers()
        assert all(b'"items":[]' not in body for body in before[:2] + before[4:])
        rebuilt = await client.post("/v1/verification/rebuild", headers=bearer("admin", None))
        assert rebuilt.status_code == 200, rebuilt.text
        assert rebuilt.json() == {"reports_refolded": 4}
        assert await answers() == before
        assert clock.now == MONDAY + timedelta(days=1)  # the same links: the same clock


@pytest.mark.parametrize(
    "key", ["nothing", "9" * 40 + "|x", "-1|x", "12345", "\uff10\uff11|x", "00000001|x"]
)
async def test_a_cursor_this_service_did_not_make_is_a_422(service: Service, key: str) -> None:
    cursor = base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")
    async with service() as (client, _record, _clock):
        for path, params in (
            ("/v1/reports", {}),
            ("/v1/reports", {"from": "2026-03"}),
            ("/v1/verification/decisions", {}),
        ):
            answer = await client.get(path, params={**params, "cursor": cursor}, headers=LURAH)
            assert answer.status_code in (200, 422), (path, key, answer.text)
            if answer.status_code == 422:
                assert answer.json()["errors"][0]["pointer"] == "/query/cursor"
