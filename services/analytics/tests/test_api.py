"""The HTTP API: who sees which area, problem details for bad input, CSV exports, the public
API without a token and without personal data; on a memory store with no broker, the test handing
the consumer's handler its events."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from analytics_support.open311_reports import KEDIRI_RT
from analytics_support.scenario import content, generate, stream_of

from sipokat.analytics.bootstrap import create_app
from sipokat.analytics.entrypoints.locale import number
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.events.broker.consumer import Handler
from sipokat.events.catalogue import (
    Bidang,
    BidangDana,
    FundProgress,
    ReportContent,
    ReportKind,
    Tier,
)
from sipokat.events.envelope import Envelope
from sipokat.runtime.testing import bearer, consumer_handler, free_port, in_memory, service_client

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


@dataclass
class Service:
    client: httpx.AsyncClient
    feed: Handler  # the live queue's handler, for more events


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    # A port nothing listens on: were anything to reach for a broker, it would find none.
    settings = AnalyticsSettings(
        rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/", data_dir=tmp_path
    )
    app = create_app(settings)
    in_memory(app)
    async with service_client(app) as client:
        handle = consumer_handler(app)
        for event in EVENTS:
            await handle(event)
        yield Service(client, handle)


@pytest.fixture
def client(service: Service) -> httpx.AsyncClient:
    return service.client


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
    assert exported.content.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
    parsed = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
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


@pytest.mark.parametrize(
    "wilayah",
    ["16.73.02.1019/007\n", "16.73.02.1019\n", "16.73\n", "\u0661\u0666.\u0667\u0663"],
)
@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/public/activity", {}),
        ("/public", {}),
        ("/v1/analytics/summary", bearer("admin", None)),
        ("/v1/analytics/rt-performance", bearer("pemkot", "16.73")),
    ],
)
async def test_a_wilayah_that_is_no_code_is_422_not_500(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], wilayah: str
) -> None:
    answer = await client.get(path, params={"wilayah": wilayah}, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in answer.json()["errors"]] == ["/query/wilayah"]


async def test_only_an_admin_may_rebuild(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/analytics/rebuild", headers=bearer("pemkot", "16.73"))
    assert answer.status_code == 403


async def test_the_dashboard_is_the_consoles_and_the_public_page_keeps_its_files(
    client: httpx.AsyncClient,
) -> None:
    moved = await client.get("/dashboard", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == "/console/#/dashboard"
    bookmarked = await client.get(
        "/dashboard", params={"wilayah": "16.73.02", "from": "2026-01", "token": "x"}
    )
    assert bookmarked.headers["location"] == "/console/#/dashboard?wilayah=16.73.02&from=2026-01"
    # Which date a month is, said in both languages where the public figures are read.
    public = (await client.get("/public")).text
    for note in ("tanggal kegiatan, bukan tanggal unggah", "Months are activity dates"):
        assert note in public
    for asset in ("public.js", "sipokat.css"):
        assert (await client.get(f"/dashboard/static/{asset}")).status_code == 200
    for gone in ("charts.js", "dashboard.js"):
        assert (await client.get(f"/dashboard/static/{gone}")).status_code == 404


# ---------------------------------------------------------------- what a period counts
# A Kediri RT: the generated events are all of Lubuklinggau, so its figures are these alone.
KEDIRI_KELURAHAN = KEDIRI_RT.split("/")[0]
ADMIN = bearer("admin", None)


def verified_report(body: ReportContent, uploaded: datetime, verified: datetime) -> list[Envelope]:
    report = stream_of(KEDIRI_RT)
    report.submit(body, uploaded)
    for hours, tier in enumerate(Tier):
        report.approve(tier, verified - timedelta(hours=3 - hours))
    report.verify(body, counts=True, at=verified)
    return report.events


def body(done: date, fund: FundProgress | None = None) -> ReportContent:
    return content(random.Random(0), KEDIRI_RT).model_copy(
        update={
            "activity_date": done,
            "bidang": Bidang.PEMBANGUNAN,
            **({"kind": ReportKind.PROGRES_DANA, "fund": fund} if fund else {}),
        }
    )


async def analytics(client: httpx.AsyncClient, endpoint: str, **params: str) -> Any:
    answer = await client.get(f"/v1/analytics/{endpoint}", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_funds_go_forward_when_an_earlier_step_is_verified_last(service: Service) -> None:
    def progress(percent: int, done: date, verified: datetime) -> list[Envelope]:
        fund = FundProgress(
            programme="Prodamas 2026",
            amount_rupiah=45_000_000,
            progress_percent=percent,  # type: ignore[arg-type]
            bidang_dana=BidangDana.INFRASTRUKTUR,
        )
        return verified_report(body(done, fund), verified - timedelta(days=1), verified)

    # 0% in January, 50% in March, 100% in May; the city approves the 0% report last.
    for events in (
        progress(50, date(2026, 3, 10), datetime(2026, 3, 20, tzinfo=UTC)),
        progress(100, date(2026, 5, 10), datetime(2026, 5, 20, tzinfo=UTC)),
        progress(0, date(2026, 1, 10), datetime(2026, 6, 20, tzinfo=UTC)),
    ):
        for event in events:
            await service.feed(event)
    funds = await analytics(service.client, "funds", wilayah=KEDIRI_RT)
    assert funds["realised_rupiah"] == 45_000_000  # Rp 45 juta used, as the 100% report says
    split = {r["bidang_dana"]: r["amount_rupiah"] for r in funds["split"]}
    assert split["infrastruktur"] == 45_000_000
    # By the end of April the work had got to 50%.
    april = await analytics(service.client, "funds", wilayah=KEDIRI_RT, to="2026-04")
    assert april["realised_rupiah"] == 22_500_000
    series = await analytics(service.client, "timeseries", wilayah=KEDIRI_RT)
    realised = {r["month"]: r["fund_realised_rupiah"] for r in series["months"]}
    assert (realised["2026-03"], realised["2026-05"]) == (22_500_000, 22_500_000)


async def test_a_period_counts_the_work_by_its_activity_date(service: Service) -> None:
    # Done on 20 December 2025, uploaded on 5 January 2026, verified on 3 February 2026.
    for event in verified_report(
        body(date(2025, 12, 20)),
        datetime(2026, 1, 5, 2, tzinfo=UTC),
        datetime(2026, 2, 3, 2, tzinfo=UTC),
    ):
        await service.feed(event)
    client, december = service.client, {"from": "2025-12", "to": "2025-12"}
    later = {"from": "2026-01", "to": "2026-02"}
    for period, reports in ((december, 1), (later, 0)):
        summary = await analytics(client, "summary", wilayah=KEDIRI_KELURAHAN, **period)
        assert summary["total_reports"] == reports, period
        active = await analytics(client, "active-rts", wilayah=KEDIRI_KELURAHAN, **period)
        assert (active["rts_reporting"], active["rts_with_verified"]) == (reports, reports)
        performance = await analytics(client, "rt-performance", wilayah=KEDIRI_RT, **period)
        assert [r["verified"] for r in performance["rows"]] == [1] * reports
        kecamatan = KEDIRI_RT[:8]
        ranking = await analytics(client, "ranking", wilayah=kecamatan, **period)
        assert sum(r["reports"] for r in ranking["ranking"]) == reports
        public = await client.get("/v1/public/activity", params={"wilayah": KEDIRI_RT, **period})
        assert public.json()["verified_total"] == reports
    # The verifiers' work counts when they did it.
    verification = await analytics(client, "verification", wilayah=KEDIRI_RT, **later)
    assert {t["tier"]: t["approved"] for t in verification["tiers"]}["kota"] == 1

    series = await analytics(client, "timeseries", wilayah=KEDIRI_RT)
    rows = {r["month"]: r for r in series["months"]}
    assert (rows["2025-12"]["reports"], rows["2025-12"]["verified"]) == (1, 1)
    assert (rows["2026-01"]["reports"], rows["2026-01"]["reports_submitted"]) == (0, 1)
    assert rows["2026-02"]["approved_kota"] == 1
    # The CSV says which date the months are, and keeps the upload beside it.
    exported = await client.get(
        "/v1/analytics/timeseries",
        params={"wilayah": KEDIRI_RT},
        headers={**ADMIN, "Accept": "text/csv"},
    )
    parsed = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {r["month_by"] for r in parsed} == {"activity_date"}
    assert {r["month"]: (r["reports"], r["reports_submitted"]) for r in parsed} == {
        "2025-12": ("1", "0"),
        "2026-01": ("0", "1"),
        "2026-02": ("0", "0"),
    }


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
    assert bad.json()["errors"][0]["detail"] == "harus bulan seperti 2026-03"
    assert bad.headers["content-language"] == "id"


# ---------------------------------------------------------------- the pages' names and cities
async def test_areas_name_the_area_and_say_which_city_runs_a_fund(
    client: httpx.AsyncClient,
) -> None:
    kediri = (await client.get("/v1/analytics/areas", headers=bearer("pemkot", "35.71"))).json()
    assert kediri["name"] == "Kota Kediri"
    assert [(c["code"], c["fund_programme"]["code"]) for c in kediri["cities"]] == [
        ("35.71", "prodamas")
    ]
    lurah = await client.get("/v1/analytics/areas", headers=bearer("lurah", "16.73.02.1019"))
    assert lurah.json()["name"] == "Pelita Jaya"
    assert [(c["name"], c["fund_programme"]) for c in lurah.json()["cities"]] == [
        ("Kota Lubuk Linggau", None)
    ]
    admin = (await client.get("/v1/analytics/areas", headers=ADMIN)).json()
    assert {c["code"] for c in admin["cities"]} == {"16.73", "35.71"}


async def test_the_public_page_shows_one_city_and_its_areas(client: httpx.AsyncClient) -> None:
    first = (await client.get("/public")).text
    assert 'value="16.73" selected' in first and "Kel. Pelita Jaya" in first
    assert "Mojoroto" not in first
    # The form sends its empty months; a city switched without the script keeps the old area.
    kediri = await client.get(
        "/public", params={"kota": "35.71", "wilayah": "16.73.02", "from": "", "to": ""}
    )
    assert kediri.status_code == 200, kediri.text
    assert "Kec. Mojoroto" in kediri.text and "Pelita Jaya" not in kediri.text
    assert "wilayah=35.71" in kediri.text  # the JSON link is of the city shown
    english = (await client.get("/public", params={"lang": "en", "wilayah": "16.73.01"})).text
    assert '<html lang="en">' in english and "verified reports" in english


def test_public_numbers_are_grouped_as_each_language_writes_them() -> None:
    assert number(2_200_000_000, "id") == "2.200.000.000"
    assert number(1857, "en") == "1,857"
