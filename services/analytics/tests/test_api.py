"""The HTTP API: who sees which area, problem details for bad input, CSV exports, the public
API without a token and without personal data."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from analytics_support.scenario import generate

from sipokat.analytics.bootstrap import create_app
from sipokat.analytics.rebuild import live_handler
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.events.testing import TrackedTopology
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

pytestmark = pytest.mark.broker

ENDPOINTS = [
    "summary",
    "ranking",
    "active-rts",
    "verification",
    "rt-performance",
    "funds",
    "timeseries",
]
EVENTS = generate(seed=3, reports=80)


@pytest.fixture
async def client(
    rabbitmq_url: str, topology: TrackedTopology, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    topology.service_queue("analytics")
    settings = AnalyticsSettings(
        rabbitmq_url=rabbitmq_url, broker_prefix=topology.prefix, data_dir=tmp_path
    )
    app = create_app(settings)
    async with service_client(app) as client:
        handle = live_handler(runtime_of_app(app).database)
        for event in EVENTS:
            await handle(event)
        yield client


@pytest.mark.parametrize(
    ("role", "wilayah", "asked", "status"),
    [
        ("admin", None, None, 200),
        ("admin", None, "35.71", 200),
        ("pemkot", "16.73", None, 200),
        ("pemkot", "16.73", "16.73.01.1001/002", 200),
        ("pemkot", "16.73", "35.71", 403),  # another city
        ("camat", "16.73.01", "16.73.01.1001", 200),
        ("camat", "16.73.01", "16.73.02", 403),
        ("lurah", "16.73.01.1001", None, 200),
        ("lurah", "16.73.01.1001", "16.73.01.1002", 403),
        ("lurah", "16.73.01.1001", "16.73.01", 403),  # above their kelurahan
        ("lurah", None, None, 403),
        ("ketua_rt", "16.73.01.1001/002", None, 403),
        ("integrator", None, None, 403),
    ],
)
async def test_leaders_see_their_area_only(
    client: httpx.AsyncClient, role: str, wilayah: str | None, asked: str | None, status: int
) -> None:
    params = {"wilayah": asked} if asked else {}
    for endpoint in ENDPOINTS:
        answer = await client.get(
            f"/v1/analytics/{endpoint}", params=params, headers=bearer(role, wilayah)
        )
        assert answer.status_code == status, (endpoint, answer.text)
        if status == 403:
            assert answer.headers["content-type"] == "application/problem+json"


async def test_a_lurah_sees_their_kelurahan_figures(client: httpx.AsyncClient) -> None:
    lurah = bearer("lurah", "16.73.01.1001")
    own = (await client.get("/v1/analytics/summary", headers=lurah)).json()
    expected = len(
        {e.stream_id for e in EVENTS if e.data.wilayah.kelurahan_code == "16.73.01.1001"}  # type: ignore[attr-defined]
    )
    assert own["wilayah"] == "16.73.01.1001" and own["total_reports"] == expected


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/analytics/summary")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"from": "2026-13"}, "/query/from"),
        ({"to": "March"}, "/query/to"),
        ({"from": "2026-04", "to": "2026-03"}, "/query/from"),
        ({"wilayah": "16.73.99"}, "/query/wilayah"),
        ({"wilayah": "16.73.02.1019/999"}, "/query/wilayah"),
    ],
)
async def test_bad_filters_are_422_problems_naming_the_parameter(
    client: httpx.AsyncClient, params: dict[str, str], pointer: str
) -> None:
    answer = await client.get("/v1/analytics/summary", params=params, headers=bearer("admin", None))
    assert answer.status_code == 422
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert problem["errors"][0]["pointer"] == pointer, problem


async def test_ranking_by_an_unknown_level_is_422(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        "/v1/analytics/ranking", params={"by": "rt"}, headers=bearer("admin", None)
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/query/by"


async def test_csv_has_the_same_rows_as_json(client: httpx.AsyncClient) -> None:
    pemkot = bearer("pemkot", "16.73")
    params = {"from": "2026-02", "to": "2026-03"}
    rows = (await client.get("/v1/analytics/rt-performance", params=params, headers=pemkot)).json()
    exported = await client.get(
        "/v1/analytics/rt-performance", params=params, headers={**pemkot, "Accept": "text/csv"}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["content-disposition"]
    parsed = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows["rows"] and len(parsed) == len(rows["rows"])
    assert [(r["rt_code"], r["month"], int(r["verified"])) for r in parsed] == [
        (r["rt_code"], r["month"], r["verified"]) for r in rows["rows"]
    ]
    assert {r["month"] for r in parsed} <= {"2026-02", "2026-03"}


async def test_public_activity_needs_no_token_and_names_nobody(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/public/activity", params={"wilayah": "16.73.01"})
    assert answer.status_code == 200
    body = answer.json()
    verified = sum(
        1
        for e in EVENTS
        if e.type == "ReportVerified" and e.data.wilayah.kecamatan_code == "16.73.01"  # type: ignore[attr-defined]
    )
    assert body["verified_total"] == verified > 0
    for private in ("Pak Verifikator", "Foto kurang", "subject", "note", "Warga"):
        assert private not in answer.text
    page = await client.get("/public", params={"wilayah": "16.73.01"})
    assert page.status_code == 200 and "<svg" in page.text
    bad = await client.get("/v1/public/activity", params={"wilayah": "nowhere"})
    assert bad.status_code == 422


async def test_only_an_admin_may_rebuild(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/analytics/rebuild", headers=bearer("pemkot", "16.73"))
    assert answer.status_code == 403


async def test_the_dashboard_page_and_its_scripts_are_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/dashboard")
    assert page.status_code == 200 and "Dasbor Sipokat" in page.text
    for asset in ("charts.js", "dashboard.js", "sipokat.css"):
        assert (await client.get(f"/dashboard/static/{asset}")).status_code == 200


async def test_problems_answer_in_indonesian_when_asked(client: httpx.AsyncClient) -> None:
    indonesian = {"Accept-Language": "id"}
    outside = await client.get(
        "/v1/analytics/summary",
        params={"wilayah": "35.71"},
        headers={**bearer("lurah", "16.73.02.1019"), **indonesian},
    )
    assert (outside.status_code, outside.json()["title"]) == (403, "Akses ditolak")
    assert outside.json()["detail"].startswith("wilayah 35.71 di luar wilayah Anda")
    bad = await client.get(
        "/v1/analytics/summary",
        params={"wilayah": "16.73.99", "from": "2026-13"},
        headers={**bearer("admin", None), **indonesian},
    )
    assert (bad.status_code, bad.json()["title"]) == (422, "Permintaan tidak valid")
    assert bad.json()["errors"][0]["detail"].startswith("`from` harus bulan")
    assert bad.headers["content-language"] == "id"
