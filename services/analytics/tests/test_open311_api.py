"""Open311 GeoReport v2 over HTTP, on a memory store with no broker fed by the consumer's handler:
verified reports only, every filter, the standard's limits, its error format, XML equal to JSON,
no personal data; the rebuild from the log on a real SQLite store."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from analytics_support.open311_reports import (
    KEDIRI_RT,
    PRIVATE,
    REJECTION_NOTE,
    content,
    submitted_report,
    verified,
)

from sipokat.analytics.bootstrap import create_app
from sipokat.analytics.handlers import live_handler, project_batch
from sipokat.analytics.queries import META, OPEN311
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.events import logrebuild
from sipokat.events.broker.consumer import Handler
from sipokat.events.catalogue import Bidang, GeoPoint, ReportKind, Tier
from sipokat.events.envelope import Envelope, new_event_id
from sipokat.events.store import Database
from sipokat.events.store.base import ViewTransaction
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import ReportStream
from sipokat.runtime.testing import (
    consumer_handler,
    free_port,
    in_memory,
    runtime_of_app,
    service_client,
)

NOW = datetime.now(UTC)
LUBUKLINGGAU = {"jurisdiction_id": "16.73"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


KEGIATAN = verified(
    content(ReportKind.KEGIATAN, location=GeoPoint(latitude=-3.2945, longitude=102.8614)),
    days_ago(10),
)
USULAN = verified(content(ReportKind.USULAN, title="Usulan jalan rabat beton"), days_ago(20))
DANA_SELESAI = verified(content(ReportKind.PROGRES_DANA, Bidang.EKONOMI, 100), days_ago(30))
DANA_SETENGAH = verified(content(ReportKind.PROGRES_DANA, Bidang.EKONOMI, 50), days_ago(40))
# Submitted long ago, verified only recently: outside the default window of submissions.
LAMA = verified(content(ReportKind.KEGIATAN, Bidang.KEAGAMAAN), days_ago(100), days_ago(2))
KEDIRI = verified(content(ReportKind.KEGIATAN), days_ago(10), rt=KEDIRI_RT)
ONLY_SUBMITTED = submitted_report(content(title="Belum diverifikasi"), days_ago(5))
REJECTED = submitted_report(content(title="Ditolak lurah"), days_ago(6))
REJECTED.reject(Tier.KELURAHAN, days_ago(5), note=REJECTION_NOTE)
ALL = [KEGIATAN, USULAN, DANA_SELESAI, DANA_SETENGAH, LAMA, KEDIRI, ONLY_SUBMITTED, REJECTED]
DEFAULT_WINDOW = [KEGIATAN, USULAN, DANA_SELESAI, DANA_SETENGAH]  # newest submission first


def interleaved(reports: list[ReportStream]) -> list[Envelope]:
    """The reports' events in time order, each report's still in stream order."""
    return sorted((e for r in reports for e in r.events), key=lambda e: e.occurred_at)


def ids(*reports: ReportStream) -> list[str]:
    return [str(r.report_id) for r in reports]


@dataclass
class Served:
    client: httpx.AsyncClient
    database: Database
    feed: Handler  # the consumer's handler, for more events


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    # A port nothing listens on: were anything to reach for a broker, it would find none.
    settings = AnalyticsSettings(
        rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/", data_dir=tmp_path
    )
    app = create_app(settings)
    in_memory(app)
    async with service_client(app) as client:
        database = runtime_of_app(app).database
        handle = consumer_handler(app)
        for event in interleaved(ALL):
            await handle(event)
        yield Served(client, database, handle)


async def get_json(served: Served, path: str, **params: str) -> Any:
    answer = await served.client.get(f"/open311/v2/{path}", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    return answer.json()


def xml_rows(answer: httpx.Response, root: str, item: str) -> list[dict[str, str]]:
    assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    assert answer.text.startswith(XML_DECLARATION)
    tree = ET.fromstring(answer.content)  # well-formed, or this raises
    assert tree.tag == root
    assert all(child.tag == item for child in tree)
    return [{field.tag: field.text or "" for field in child} for child in tree]


def as_xml_text(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value).lower()
        return str(value)

    return [{name: text(value) for name, value in row.items()} for row in rows]


# ---------------------------------------------------------------- services


async def test_the_service_list_is_one_service_per_bidang_in_json_and_xml(served: Served) -> None:
    listed = await get_json(served, "services.json")
    assert [s["service_code"] for s in listed] == [b.value for b in Bidang]
    assert listed[0] == {
        "service_code": "pemerintahan",
        "service_name": "Pemerintahan",
        "description": listed[0]["description"],
        "metadata": False,
        "type": "realtime",
        "keywords": "pemerintahan,kegiatan,usulan,progres_dana",
        "group": "Laporan RT",
    }
    as_xml = await served.client.get("/open311/v2/services.xml")
    assert as_xml.status_code == 200
    assert xml_rows(as_xml, "services", "service") == as_xml_text(listed)
    for_kediri = await get_json(served, "services.json", jurisdiction_id="35.71")
    assert for_kediri == listed
    head = await served.client.head("/open311/v2/services.xml")
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/xml")


# ---------------------------------------------------------------- requests


async def test_verified_reports_are_requests_with_the_status_of_their_kind(
    served: Served,
) -> None:
    found = await get_json(served, "requests.json", **LUBUKLINGGAU)
    assert [r["service_request_id"] for r in found] == ids(*DEFAULT_WINDOW)
    status = {r["service_request_id"]: (r["status"], r["status_notes"]) for r in found}
    assert status == {
        str(KEGIATAN.report_id): (
            "closed",
            "Terverifikasi oleh Pemkot; kegiatan telah dilaksanakan",
        ),
        str(USULAN.report_id): ("open", "Terverifikasi oleh Pemkot; usulan menunggu realisasi"),
        str(DANA_SELESAI.report_id): ("closed", "Terverifikasi oleh Pemkot; progres dana 100%"),
        str(DANA_SETENGAH.report_id): ("open", "Terverifikasi oleh Pemkot; progres dana 50%"),
    }
    kegiatan = found[0]
    assert kegiatan["requested_datetime"].endswith("+07:00")  # WIB, the offset written out
    assert datetime.fromisoformat(kegiatan["requested_datetime"]) == days_ago(10)
    assert datetime.fromisoformat(kegiatan["updated_datetime"]) == days_ago(9)
    assert (kegiatan["lat"], kegiatan["long"]) == (-3.2945, 102.8614)
    assert kegiatan["address_id"] == "16.73.01.1001/002"
    assert kegiatan["agency_responsible"] == "Kelurahan Air Kuti"
    assert kegiatan["media_url"] is None


async def test_reports_not_verified_are_not_published(served: Served) -> None:
    unverified = ids(ONLY_SUBMITTED, REJECTED)
    listed = await get_json(
        served, "requests.json", service_request_id=",".join(unverified), **LUBUKLINGGAU
    )
    assert listed == []
    wide = await get_json(served, "requests.json", **LUBUKLINGGAU)
    assert not set(unverified) & {r["service_request_id"] for r in wide}
    for report_id in unverified:
        answer = await served.client.get(
            f"/open311/v2/requests/{report_id}.json", params=LUBUKLINGGAU
        )
        assert answer.status_code == 404
        assert answer.json() == [
            {
                "code": 404,
                "description": f"service_request_id {report_id} was not found in jurisdiction "
                "16.73 (only verified reports are published)",
            }
        ]


async def test_one_request_is_a_list_of_one_in_json_and_xml(served: Served) -> None:
    path = f"/open311/v2/requests/{USULAN.report_id}"
    one = await served.client.get(f"{path}.json", params=LUBUKLINGGAU)
    assert one.status_code == 200
    body = one.json()
    assert [r["service_request_id"] for r in body] == ids(USULAN)
    assert body[0]["description"] == (
        "Usulan jalan rabat beton\n\nSaluran di depan balai RT dibersihkan dan diperbaiki."
    )
    as_xml = await served.client.get(f"{path}.xml", params=LUBUKLINGGAU)
    assert xml_rows(as_xml, "service_requests", "request") == as_xml_text(body)
    # Of another kota it is not there.
    elsewhere = await served.client.get(f"{path}.json", params={"jurisdiction_id": "35.71"})
    assert elsewhere.status_code == 404


async def test_the_request_list_in_xml_equals_the_json(served: Served) -> None:
    as_json = await get_json(served, "requests.json", **LUBUKLINGGAU)
    assert len(as_json) == 4 and as_json[0]["lat"] is not None and as_json[1]["lat"] is None
    as_xml = await served.client.get("/open311/v2/requests.xml", params=LUBUKLINGGAU)
    assert as_xml.status_code == 200
    assert xml_rows(as_xml, "service_requests", "request") == as_xml_text(as_json)


# What XML 1.0 cannot hold, not even as a character reference (its `Char` production): the C0
# controls but tab, newline and carriage return, and U+FFFE, U+FFFF. An event in the log may
# carry any of them, whatever the catalogue accepts today. What it can hold must come through.
NOT_XML = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
XML_CAN = "\t\r\n\x7f\x85\u2028 é 🙂"


async def test_requests_stay_well_formed_whatever_characters_a_report_holds(
    served: Served,
) -> None:
    # Built past the catalogue's checks, as an old event in the log is read.
    body = content(title="Judul").model_copy(
        update={"title": f"Judul {NOT_XML} {XML_CAN}", "description": f"{NOT_XML}{XML_CAN}"}
    )
    odd = verified(body, days_ago(3))
    for event in odd.events:
        await served.feed(event)

    as_json = await get_json(served, "requests.json", **LUBUKLINGGAU)  # valid JSON, or it raises
    stored = next(r for r in as_json if r["service_request_id"] == str(odd.report_id))
    assert stored["description"] == f"Judul {NOT_XML} {XML_CAN}\n\n{NOT_XML}{XML_CAN}"
    blanked = "\ufffd" * len(NOT_XML)
    for path in (f"requests/{odd.report_id}.xml", "requests.xml"):
        answer = await served.client.get(f"/open311/v2/{path}", params=LUBUKLINGGAU)
        assert answer.status_code == 200, answer.text
        rows = xml_rows(answer, "service_requests", "request")  # parses, or it raises
        row = next(r for r in rows if r["service_request_id"] == str(odd.report_id))
        # Each character XML cannot hold became U+FFFD; the rest is as stored, \r included.
        assert row["description"] == f"Judul {blanked} {XML_CAN}\n\n{blanked}{XML_CAN}"
    # The city's other requests are untouched by the odd one.
    others = [r for r in as_json if r["service_request_id"] != str(odd.report_id)]
    assert [r for r in rows if r["service_request_id"] != str(odd.report_id)] == as_xml_text(others)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"service_code": "ekonomi"}, [DANA_SELESAI, DANA_SETENGAH]),
        ({"service_code": "pembangunan,ekonomi"}, DEFAULT_WINDOW),
        ({"status": "open"}, [USULAN, DANA_SETENGAH]),
        ({"status": "closed"}, [KEGIATAN, DANA_SELESAI]),
        ({"status": "open,closed"}, DEFAULT_WINDOW),
        ({"status": "open", "service_code": "ekonomi"}, [DANA_SETENGAH]),
        ({"start_date": days_ago(25).isoformat(), "end_date": days_ago(15).isoformat()}, [USULAN]),
        # One end given: 90 days from it.
        ({"end_date": days_ago(35).isoformat()}, [DANA_SETENGAH, LAMA]),
        ({"start_date": days_ago(101).isoformat()}, [USULAN, DANA_SELESAI, DANA_SETENGAH, LAMA]),
        # The default window holds the last 90 days' submissions only.
        ({}, DEFAULT_WINDOW),
    ],
)
async def test_every_filter(
    served: Served, params: dict[str, str], expected: list[ReportStream]
) -> None:
    found = await get_json(served, "requests.json", **LUBUKLINGGAU, **params)
    assert [r["service_request_id"] for r in found] == ids(*expected)


async def test_ids_override_every_other_argument_but_the_jurisdiction(served: Served) -> None:
    asked = [*ids(LAMA, KEGIATAN), "00000000-0000-0000-0000-000000000000", *ids(KEDIRI)]
    found = await get_json(
        served,
        "requests.json",
        service_request_id=",".join(asked),
        status="open",  # ignored: the ids override it, the window and service_code
        service_code="ekonomi",
        **LUBUKLINGGAU,
    )
    assert [r["service_request_id"] for r in found] == ids(KEGIATAN, LAMA)


async def test_each_jurisdiction_has_its_own_requests(served: Served) -> None:
    kediri = await get_json(served, "requests.json", jurisdiction_id="35.71")
    assert [r["service_request_id"] for r in kediri] == ids(KEDIRI)
    assert kediri[0]["address"].endswith("Kota Kediri")


async def test_at_most_1000_requests_newest_first(served: Served) -> None:
    body = content(bidang=Bidang.KEAMANAN_KETERTIBAN)
    many = []
    for i in range(1005):
        submitted = days_ago(50 + i / 100)  # the first is the newest
        report = submitted_report(body, submitted)
        report.verify(body, submitted + timedelta(hours=1))
        many.append(report)

    async def fold(tx: ViewTransaction) -> None:
        await project_batch(interleaved(many), tx)

    await served.database.views.apply_once(new_event_id(), fold)
    found = await get_json(
        served, "requests.json", service_code="keamanan_ketertiban", **LUBUKLINGGAU
    )
    assert len(found) == 1000
    assert [r["service_request_id"] for r in found] == ids(*many[:1000])
    everything = await get_json(served, "requests.json", **LUBUKLINGGAU)
    assert len(everything) == 1000
    assert [r["service_request_id"] for r in everything] == ids(*DEFAULT_WINDOW, *many[:996])


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("method", "path", "params", "code", "says"),
    [
        ("GET", "requests.json", {}, 400, "jurisdiction_id is required"),
        ("GET", "requests.json", {"jurisdiction_id": "12.34"}, 404, "'12.34' was not found"),
        ("GET", "services.json", {"jurisdiction_id": "12.34"}, 404, "'12.34' was not found"),
        (
            "GET",
            "requests.json",
            {**LUBUKLINGGAU, "start_date": "kemarin"},
            400,
            "'kemarin' is not a W3C datetime",
        ),
        (
            "GET",
            "requests.json",
            {**LUBUKLINGGAU, "end_date": "2026-03-01T10:00"},
            400,
            "has no time zone",
        ),
        (
            "GET",
            "requests.json",
            {
                **LUBUKLINGGAU,
                "start_date": "2026-01-01T00:00:00Z",
                "end_date": "2026-05-01T00:00:00Z",
            },
            400,
            "spans 120.0 days; the range may not exceed 90 days",
        ),
        (
            "GET",
            "requests.json",
            {
                **LUBUKLINGGAU,
                "start_date": "2026-02-01T00:00:00Z",
                "end_date": "2026-01-01T00:00:00Z",
            },
            400,
            "is before start_date",
        ),
        (
            "GET",
            "requests.json",
            {**LUBUKLINGGAU, "status": "selesai"},
            400,
            "status selesai is not open or closed",
        ),
        (
            "GET",
            "requests.json",
            {**LUBUKLINGGAU, "service_code": "jalan"},
            400,
            "service_code jalan is not a service",
        ),
        ("GET", "requests.csv", LUBUKLINGGAU, 404, "format 'csv' is not served"),
        ("GET", "services.html", {}, 404, "format 'html' is not served"),
        (
            "GET",
            "requests/0193b6a4-2c1e-7c55-9f0a-1d2e3f405162.json",
            {},
            400,
            "jurisdiction_id is required",
        ),
        ("GET", "requests/nope.json", LUBUKLINGGAU, 404, "nope was not found"),
        ("GET", "services", {}, 404, "no Open311 resource at /open311/v2/services"),
        ("GET", "discovery.json", {}, 404, "no Open311 resource"),
        ("POST", "requests.json", {}, 405, "read only"),
        ("DELETE", "requests/nope.json", {}, 405, "DELETE is not offered"),
    ],
)
async def test_bad_input_is_an_open311_error_saying_what_is_wrong(
    served: Served, method: str, path: str, params: dict[str, str], code: int, says: str
) -> None:
    answer = await served.client.request(method, f"/open311/v2/{path}", params=params)
    assert answer.status_code == code, answer.text
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    errors = answer.json()
    assert isinstance(errors, list) and len(errors) == 1
    assert set(errors[0]) == {"code", "description"} and errors[0]["code"] == code
    assert says in errors[0]["description"], errors[0]["description"]


async def test_errors_in_xml_for_an_xml_resource(served: Served) -> None:
    answer = await served.client.get(
        "/open311/v2/requests.xml", params={**LUBUKLINGGAU, "start_date": "2026-02-30T00:00:00Z"}
    )
    assert answer.status_code == 400
    rows = xml_rows(answer, "errors", "error")
    assert rows == [
        {
            "code": "400",
            "description": "start_date '2026-02-30T00:00:00Z' is not a W3C datetime like "
            "2026-03-01T00:00:00+07:00 or 2026-02-28T17:00:00Z",
        }
    ]


async def test_while_rebuilding_requests_answer_503_with_retry_after(served: Served) -> None:
    async def mark(tx: ViewTransaction) -> None:
        await tx.put(META, logrebuild.REBUILD_KEY, {"state": "running"})

    await served.database.views.apply_once(new_event_id(), mark)
    answer = await served.client.get("/open311/v2/requests.xml", params=LUBUKLINGGAU)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert xml_rows(answer, "errors", "error")[0]["code"] == "503"
    # The service list does not come from the views.
    assert (await served.client.get("/open311/v2/services.json")).status_code == 200


async def test_no_personal_data_in_any_answer(served: Served) -> None:
    wide = {**LUBUKLINGGAU, "start_date": days_ago(100.5).isoformat()}
    answers = [
        await served.client.get("/open311/v2/requests.json", params=LUBUKLINGGAU),
        await served.client.get("/open311/v2/requests.json", params=wide),
        await served.client.get("/open311/v2/requests.xml", params=wide),
        await served.client.get("/open311/v2/requests.json", params={"jurisdiction_id": "35.71"}),
        *[
            await served.client.get(
                f"/open311/v2/requests/{r.report_id}.{fmt}", params=LUBUKLINGGAU
            )
            for r in DEFAULT_WINDOW
            for fmt in ("json", "xml")
        ],
    ]
    assert all(a.status_code == 200 for a in answers)
    for answer in answers:
        for secret in PRIVATE:
            assert secret not in answer.text
        for word in ("verifier", "subject", "photo", "sha256"):
            assert word not in answer.text


# ---------------------------------------------------------------- rebuild


async def test_a_rebuild_refills_the_requests_as_the_live_feed_made_them(
    sqlite_database: Database, tmp_path: Path
) -> None:
    handle = live_handler(sqlite_database)
    for event in interleaved(ALL):
        await handle(event)
    live = await sqlite_database.views.find(OPEN311, limit=1000)
    assert {d["service_request_id"] for d in live} == set(
        ids(KEGIATAN, USULAN, DANA_SELESAI, DANA_SETENGAH, LAMA, KEDIRI)
    )
    # Rebuild = drop the views, replay the log in batches (here one).
    await sqlite_database.views.reset()
    assert await sqlite_database.views.find(OPEN311) == []

    async def replay(tx: ViewTransaction) -> None:
        await project_batch(interleaved(ALL), tx)

    await sqlite_database.views.apply_once(new_event_id(), replay)
    assert await sqlite_database.views.find(OPEN311, limit=1000) == live
    # Replayed once more, nothing changes.
    await sqlite_database.views.apply_once(new_event_id(), replay)
    again = await SqliteDatabase.open(tmp_path / "sqlite.db")
    try:
        assert await again.views.find(OPEN311, limit=1000) == live
    finally:
        await again.close()
