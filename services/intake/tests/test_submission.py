"""POST /v1/reports in-process: stored and published with a real SQLite store and the real broker;
what the route refuses and accepts on a memory store with no broker."""

from __future__ import annotations

import json
from datetime import date, timedelta

import aio_pika
import httpx
import pytest
from fastapi import FastAPI

from sipokat.events.bounds import MAX_RUPIAH
from sipokat.events.broker.topology import declare_exchange
from sipokat.events.testing import TrackedTopology, eventually
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import bearer, in_memory, runtime_of_app, service_client

RT = "16.73.02.1019/007"


@pytest.fixture
def app(memory_app: FastAPI) -> FastAPI:
    """Intake on a memory store with no broker (conftest's `client` serves it): but for the first,
    these tests check what the route does, not what reaches the broker."""
    return memory_app


def body(**changes: object) -> dict[str, object]:
    return {
        "kind": "kegiatan",
        "bidang": "pemerintahan",
        "title": "Rapat warga RT 007",
        "description": "Musyawarah rencana perbaikan jalan lingkungan.",
        "activity_date": date.today().isoformat(),
        **changes,
    }


@pytest.mark.broker
async def test_an_accepted_report_is_stored_then_published(
    settings: IntakeSettings, rabbitmq_url: str, topology: TrackedTopology
) -> None:
    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, topology)
        queue = await channel.declare_queue(topology.test_queue("integrator"), auto_delete=True)
        await queue.bind(exchange, "report.submitted")

        app = create_app(settings)
        async with service_client(app) as client:
            answer = await client.post("/v1/reports", json=body(), headers=bearer("ketua_rt", RT))
            assert answer.status_code == 202, answer.text
            report_id = answer.json()["report_id"]

            stored = await runtime_of_app(app).database.events.read_stream(f"report-{report_id}")
            assert [e.type for e in stored] == ["ReportSubmitted"]
            assert stored[0].actor.wilayah == RT
            assert stored[0].data.wilayah.kelurahan_code == "16.73.02.1019"  # type: ignore[attr-defined]

            message = await eventually(lambda: queue.get(fail=False))
            assert json.loads(message.body)["event_id"] == str(stored[0].event_id)


def fund_progress(**fund: object) -> dict[str, object]:
    return {
        "kind": "progres_dana",
        "fund": {
            "programme": "Prodamas 2026",
            "amount_rupiah": 45_000_000,
            "progress_percent": 50,
            "bidang_dana": "infrastruktur",
            **fund,
        },
    }


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"kind": "lomba"}, "/body/kind"),
        ({"title": ""}, "/body/title"),
        ({"activity_date": "kemarin"}, "/body/activity_date"),
        ({"activity_date": (date.today() + timedelta(days=2)).isoformat()}, "/body/activity_date"),
        ({"kind": "progres_dana"}, "/body"),  # fund progress without `fund`
        ({"status": "verified"}, "/body/status"),  # server-set fields are refused, not taken
        (
            {
                "fund": {
                    "programme": "Prodamas",
                    "amount_rupiah": -5,
                    "progress_percent": 50,
                    "bidang_dana": "sosial",
                },
                "kind": "progres_dana",
            },
            "/body/fund/amount_rupiah",
        ),
        # Outside the event contract (sipokat.events.bounds): each was accepted with 202, and
        # 10^30 then stopped verification and analytics for good.
        (fund_progress(amount_rupiah=10**30), "/body/fund/amount_rupiah"),
        (fund_progress(amount_rupiah=MAX_RUPIAH + 1), "/body/fund/amount_rupiah"),
        (fund_progress(programme="Prodamas\x1b[2J"), "/body/fund/programme"),
        ({"title": "Rapat\x00warga"}, "/body/title"),
        ({"title": "Rapat warga\x0b"}, "/body/title"),
        ({"title": "Rapat\nwarga"}, "/body/title"),  # one line: a title is a line of a list
        ({"description": "Musyawarah\x07"}, "/body/description"),
        ({"description": "Musyawarah\r\n"}, "/body/description"),
    ],
)
async def test_bad_reports_are_refused_with_the_field_named(
    app: FastAPI, changes: dict[str, object], pointer: str
) -> None:
    async with service_client(app) as client:
        answer = await client.post(
            "/v1/reports", json=body(**changes), headers=bearer("ketua_rt", RT)
        )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert pointer in [error["pointer"] for error in answer.json()["errors"]]
        assert await runtime_of_app(app).database.events.last_position() == 0


async def test_an_rt_head_of_an_rt_not_in_the_directory_is_unauthorized(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/reports", json=body(), headers=bearer("ketua_rt", "16.73.02.1019/999")
    )
    # The token itself is refused: its wilayah is no RT of the directory.
    assert answer.status_code == 401
    assert "is no rt of the directory" in answer.json()["detail"]


async def test_every_wrong_field_is_named_in_indonesian_when_asked(
    client: httpx.AsyncClient,
) -> None:
    wrong = body(title="", kind="lomba", activity_date="2999-13-40", extra="x")
    del wrong["description"]
    answer = await client.post(
        "/v1/reports",
        json=wrong,
        headers={**bearer("ketua_rt", RT), "Accept-Language": "id-ID,id;q=0.9,en;q=0.5"},
    )
    assert answer.status_code == 422
    assert answer.headers["content-language"] == "id"
    problem = answer.json()
    assert problem["title"] == "Permintaan tidak valid"
    details = {e["pointer"]: e["detail"] for e in problem["errors"]}
    assert details["/body/title"] == "minimal 3 karakter"
    assert details["/body/description"] == "wajib diisi"
    assert details["/body/extra"] == "kolom ini tidak boleh dikirim"
    assert details["/body/activity_date"].startswith("harus berupa tanggal")
    assert details["/body/kind"].startswith("harus salah satu dari")


async def test_values_outside_the_contract_are_named_in_indonesian_and_english(
    client: httpx.AsyncClient,
) -> None:
    wrong = body(title="Rapat\x00", description="baris\x1b", **fund_progress(amount_rupiah=10**30))
    for language, expected in [
        (
            "id",
            {
                "/body/title": "harus satu baris tanpa karakter kendali",
                "/body/description": (
                    "tidak boleh berisi karakter kendali selain baris baru dan tab"
                ),
                "/body/fund/amount_rupiah": f"harus lebih kecil atau sama dengan {MAX_RUPIAH}",
            },
        ),
        (
            "en",
            {
                "/body/title": "must be one line without control characters",
                "/body/description": "must not hold control characters other than newline and tab",
                "/body/fund/amount_rupiah": f"Input should be less than or equal to {MAX_RUPIAH}",
            },
        ),
    ]:
        answer = await client.post(
            "/v1/reports",
            json=wrong,
            headers={**bearer("ketua_rt", RT), "Accept-Language": language},
        )
        assert answer.status_code == 422, answer.text
        assert {e["pointer"]: e["detail"] for e in answer.json()["errors"]} == expected


async def test_english_is_the_default(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/reports", json=body(title=""), headers=bearer("ketua_rt", RT))
    assert answer.json()["title"] == "Invalid request"
    assert answer.json()["errors"][0]["detail"] == "String should have at least 3 characters"


@pytest.mark.parametrize(
    ("payload", "status", "pointer"),
    [
        (b'{"kind": "kegiatan", ', 400, "/body/21"),
        (b"[1, 2]", 422, "/body"),
        (b'"just a string"', 422, "/body"),
        (json.dumps(body(title=123)).encode(), 422, "/body/title"),
        (
            json.dumps(body(location={"latitude": "north", "longitude": 1})).encode(),
            422,
            "/body/location/latitude",
        ),
        (json.dumps(body(photos="foto.jpg")).encode(), 422, "/body/photos"),
    ],
    ids=["malformed", "array", "string", "title-number", "latitude-text", "photos-string"],
)
async def test_malformed_json_and_wrong_types(
    client: httpx.AsyncClient, payload: bytes, status: int, pointer: str
) -> None:
    answer = await client.post(
        "/v1/reports",
        content=payload,
        headers={**bearer("ketua_rt", RT), "Content-Type": "application/json"},
    )
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in answer.json()["errors"]]


async def test_a_location_outside_the_city_is_refused(client: httpx.AsyncClient) -> None:
    in_kediri = {"latitude": -7.8166, "longitude": 112.0114}
    answer = await client.post(
        "/v1/reports", json=body(location=in_kediri), headers=bearer("ketua_rt", RT)
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "pointer": "/body/location",
            "detail": "the location lies outside Kota Lubuk Linggau",
            "code": "location_outside_city",
        }
    ]


async def test_fund_progress_from_a_city_without_a_fund_programme_is_refused(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/reports",
        json=body(**fund_progress()),
        headers={**bearer("ketua_rt", RT), "Accept-Language": "id"},
    )
    assert answer.status_code == 422, answer.text
    assert [e["pointer"] for e in answer.json()["errors"]] == ["/body/kind"]
    assert "tidak menjalankan program dana" in answer.text


async def test_a_fund_progress_report_with_all_its_parts_is_accepted(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    fund = {
        "programme": "Prodamas 2026",
        "amount_rupiah": 50_000_000,
        "progress_percent": 100,
        "bidang_dana": "ekonomi",
    }
    answer = await client.post(
        "/v1/reports",
        json=body(kind="progres_dana", fund=fund),
        headers=bearer("ketua_rt", "35.71.01.1001/001"),
    )
    assert answer.status_code == 202, answer.text
    stored = await runtime_of_app(app).database.events.read_stream(
        f"report-{answer.json()['report_id']}"
    )
    assert stored[0].data.content.fund.amount_rupiah == 50_000_000  # type: ignore[attr-defined]
    assert stored[0].data.wilayah.kota_name == "Kota Kediri"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("role", "wilayah", "status"),
    [
        ("ketua_rt", RT, 202),
        ("lurah", "16.73.02.1019", 403),
        ("camat", "16.73.02", 403),
        ("pemkot", "16.73", 403),
        ("admin", None, 403),
        ("integrator", None, 403),
    ],
)
async def test_only_an_rt_head_submits(
    client: httpx.AsyncClient, role: str, wilayah: str | None, status: int
) -> None:
    answer = await client.post("/v1/reports", json=body(), headers=bearer(role, wilayah))
    assert answer.status_code == status


async def test_a_missing_or_bad_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/reports", json=body())).status_code == 401
    forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}
    answer = await client.post("/v1/reports", json=body(), headers=forged)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("subject", ["", "x" * 201], ids=["empty", "201 characters"])
async def test_a_token_whose_subject_no_event_could_carry_is_401(
    client: httpx.AsyncClient, subject: str
) -> None:
    token = mint_token(ServiceSettings(), subject=subject, role="ketua_rt", wilayah=RT)
    answer = await client.post(
        "/v1/reports", json=body(), headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401, answer.text  # was a 500: the event's actor refused it
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_an_oversized_body_is_413_before_it_is_parsed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    answer = await client.post(
        "/v1/reports",
        json=body(description="x" * 300_000),
        headers=bearer("ketua_rt", RT),
    )
    assert answer.status_code == 413
    assert answer.json()["title"] == "Content too large"
    assert await runtime_of_app(app).database.events.last_position() == 0


async def test_a_client_over_its_rate_gets_429_with_retry_after(
    memory_settings: IntakeSettings,
) -> None:
    tight = memory_settings.model_copy(
        update={"rate_limit_per_second": 0.01, "rate_limit_burst": 3}
    )
    app = create_app(tight)
    in_memory(app)
    async with service_client(app) as client:
        answers = [
            await client.post("/v1/reports", json=body(), headers=bearer("ketua_rt", RT))
            for _ in range(4)
        ]
        other = await client.post(
            "/v1/reports", json=body(), headers=bearer("ketua_rt", "16.73.02.1019/003")
        )
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert int(answers[-1].headers["retry-after"]) > 0
    assert other.status_code == 202
