"""GET /v1/config?wilayah=: public, cacheable, read from the catalogue, directory and settings."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI

from sipokat.intake.bootstrap import create_app
from sipokat.intake.entrypoints.common import today_in_wib
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import in_memory, service_client

LUBUK_LINGGAU_RT = "16.73.02.1019/007"
KEDIRI_KELURAHAN = "35.71.01.1001"


@pytest.fixture
def app(memory_app: FastAPI) -> FastAPI:
    return memory_app


@pytest.fixture
async def client(app: FastAPI) -> httpx.AsyncClient:
    async with service_client(app) as client:
        yield client  # type: ignore[misc]


async def test_a_city_without_a_fund_programme_offers_no_fund_progress(
    client: httpx.AsyncClient, memory_settings: IntakeSettings
) -> None:
    answer = await client.get("/v1/config", params={"wilayah": LUBUK_LINGGAU_RT})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "public, max-age=300"
    body = answer.json()
    assert body["city"] == {"code": "16.73", "name": "Kota Lubuk Linggau"}
    assert [k["code"] for k in body["kinds"]] == ["kegiatan", "usulan"]
    assert body["kinds"][0]["label"] == {"id": "Kegiatan", "en": "Activity"}
    assert body["fund_programme"] is None
    assert body["bidang_dana"] == []
    assert len(body["bidang"]) == 7
    assert all(b["label"]["id"] and b["label"]["en"] for b in body["bidang"])
    window = memory_settings.activity_window_days
    today = today_in_wib()
    assert body["activity_date"]["max_age_days"] == window
    assert str(window) in body["activity_date"]["rule"]["id"]
    assert "masa depan" in body["activity_date"]["rule"]["id"]
    assert "future" in body["activity_date"]["rule"]["en"]
    assert date.fromisoformat(body["activity_date"]["latest"]) == today
    assert date.fromisoformat(body["activity_date"]["earliest"]) == today - timedelta(window)
    assert body["photos"] == {
        "max_count": 10,
        "max_bytes": memory_settings.max_photo_bytes,
        "types": ["image/jpeg", "image/png", "image/webp"],
    }
    assert body["text_limits"] == {"title": 200, "description": 5000}
    assert body["progress_percent"] == [0, 50, 100]


async def test_statuses_and_rejection_reasons_come_with_words_in_both_languages(
    client: httpx.AsyncClient,
) -> None:
    """The apps show these instead of the codes; every city has the same."""
    for code in (LUBUK_LINGGAU_RT, KEDIRI_KELURAHAN):
        body = (await client.get("/v1/config", params={"wilayah": code})).json()
        assert [s["code"] for s in body["statuses"]] == [
            "awaiting_kelurahan",
            "awaiting_kecamatan",
            "awaiting_kota",
            "awaiting_revision",
            "verified",
        ]
        assert body["statuses"][-1]["label"] == {"id": "Terverifikasi", "en": "Verified"}
        assert [r["code"] for r in body["rejection_reasons"]] == [
            "incomplete",
            "not_rt_work",
            "duplicate",
            "no_evidence",
            "wrong_field",
            "other",
        ]
        reasons = {r["code"]: r["label"] for r in body["rejection_reasons"]}
        assert reasons["no_evidence"] == {"id": "Tidak ada bukti", "en": "No evidence"}
        assert all(s["label"]["id"] and s["label"]["en"] for s in body["statuses"])


async def test_kediri_runs_prodamas_so_its_rts_report_fund_progress(
    client: httpx.AsyncClient,
) -> None:
    for code in ("35.71", KEDIRI_KELURAHAN, f"{KEDIRI_KELURAHAN}/001"):
        body = (await client.get("/v1/config", params={"wilayah": code})).json()
        assert body["city"]["code"] == "35.71"
        assert body["fund_programme"]["code"] == "prodamas"
        assert [k["code"] for k in body["kinds"]] == ["kegiatan", "usulan", "progres_dana"]
        assert [b["code"] for b in body["bidang_dana"]] == ["infrastruktur", "sosial", "ekonomi"]


async def test_settings_change_the_window_and_photo_limit(
    memory_settings: IntakeSettings,
) -> None:
    settings = memory_settings.model_copy(
        update={"activity_window_days": 30, "max_photo_bytes": 2_000_000}
    )
    app = create_app(settings)
    in_memory(app)
    async with service_client(app) as client:
        body = (await client.get("/v1/config", params={"wilayah": "16.73"})).json()
    assert body["activity_date"]["max_age_days"] == 30
    assert "30 hari" in body["activity_date"]["rule"]["id"]
    assert body["photos"]["max_bytes"] == 2_000_000


@pytest.mark.parametrize("code", ["99.99", "16.73.02.9999", "16.73.02.1019/999"])
async def test_an_unknown_area_is_a_bilingual_404(client: httpx.AsyncClient, code: str) -> None:
    answer = await client.get(
        "/v1/config", params={"wilayah": code}, headers={"Accept-Language": "id"}
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == f"wilayah {code} tidak ada di direktori"


async def test_a_malformed_or_missing_code_is_a_422(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/config", params={"wilayah": "kediri"})).status_code == 422
    assert (await client.get("/v1/config")).status_code == 422


async def test_no_tile_server_is_configured_by_default(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/config", params={"wilayah": LUBUK_LINGGAU_RT})).json()
    assert body["map"] == {"tile_url": None, "attribution": "", "max_zoom": 19}


async def test_the_configured_tile_server_is_given_to_the_apps(
    memory_settings: IntakeSettings,
) -> None:
    settings = memory_settings.model_copy(
        update={
            "map_tile_url": "https://{s}.tiles.example.org/{z}/{x}/{y}{r}.png",
            "map_attribution": "© Kontributor OpenStreetMap",
            "map_max_zoom": 18,
        }
    )
    app = create_app(settings)
    in_memory(app)
    async with service_client(app) as client:
        body = (await client.get("/v1/config", params={"wilayah": KEDIRI_KELURAHAN})).json()
    assert body["map"] == {
        "tile_url": "https://{s}.tiles.example.org/{z}/{x}/{y}{r}.png",
        "attribution": "© Kontributor OpenStreetMap",
        "max_zoom": 18,
    }
