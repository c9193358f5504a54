"""Browsing the directory and the OpenAPI document, on a memory store with no broker; and a
report accepted while the broker cannot be reached is kept and published once it can (the event
store is the outbox), with a real SQLite store and the real broker."""

from __future__ import annotations

import json
import socket
from datetime import date

import aio_pika
import httpx
import pytest
from fastapi import FastAPI

from sipokat.events.broker.topology import declare_exchange
from sipokat.events.testing import TrackedTopology, eventually
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import bearer, service_client


@pytest.fixture
def app(memory_app: FastAPI) -> FastAPI:
    """Intake on a memory store with no broker (conftest's `client` serves it), but for the
    outbox test, which brings its own."""
    return memory_app


async def test_the_directory_is_browsed_from_kota_to_rt(client: httpx.AsyncClient) -> None:
    cities = (await client.get("/v1/wilayah")).json()
    assert {(c["code"], c["rt_total"]) for c in cities} == {("16.73", 528), ("35.71", 1442)}
    kota = (await client.get("/v1/wilayah/16.73")).json()
    assert "16.73.02" in [k["code"] for k in kota["children"]]
    kecamatan = (await client.get("/v1/wilayah/16.73.02")).json()
    assert ("16.73.02.1019", "Pelita Jaya") in [
        (k["code"], k["name"]) for k in kecamatan["children"]
    ]
    kelurahan = (await client.get("/v1/wilayah/16.73.02.1019")).json()
    assert (kelurahan["parent"], kelurahan["rt_url"]) == (
        "16.73.02",
        "/v1/wilayah/16.73.02.1019/rt",
    )
    page = (await client.get("/v1/wilayah/16.73.02.1019/rt?offset=5&limit=2")).json()
    assert page["items"] == ["16.73.02.1019/006", "16.73.02.1019/007"]
    assert page["total"] == kelurahan["rt_total"]
    rt = (await client.get("/v1/wilayah/16.73.02.1019/007")).json()
    assert rt["kelurahan_name"] == "Pelita Jaya"


async def test_unknown_areas_are_404_and_pages_are_capped(client: httpx.AsyncClient) -> None:
    for path in ("/v1/wilayah/99.99", "/v1/wilayah/16.73.02.1019/999", "/v1/wilayah/x/rt"):
        answer = await client.get(path, headers={"Accept-Language": "id"})
        assert answer.status_code == 404, path
        assert answer.json()["title"] == "Tidak ditemukan"
    capped = await client.get("/v1/wilayah/16.73.02.1019/rt?limit=101")
    assert capped.status_code == 422
    assert capped.json()["errors"][0]["pointer"] == "/query/limit"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"amqp://guest:guest@127.0.0.1:{sock.getsockname()[1]}/"


@pytest.mark.broker
async def test_a_report_accepted_without_a_broker_is_published_when_one_answers(
    settings: IntakeSettings, rabbitmq_url: str, topology: TrackedTopology
) -> None:
    body = {
        "kind": "kegiatan",
        "bidang": "keagamaan",
        "title": "Pengajian rutin",
        "description": "Pengajian bulanan di musala RT.",
        "activity_date": date.today().isoformat(),
    }
    # No broker answers at this address: intake must still accept, having stored the event.
    cut_off = settings.model_copy(update={"rabbitmq_url": closed_port_url()})
    async with service_client(create_app(cut_off)) as client:
        answer = await client.post(
            "/v1/reports", json=body, headers=bearer("ketua_rt", "16.73.02.1019/007")
        )
        assert answer.status_code == 202
    report_id = answer.json()["report_id"]

    connection = await aio_pika.connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, topology)
        queue = await channel.declare_queue(topology.test_queue("late"), auto_delete=True)
        await queue.bind(exchange, "report.submitted")
        # The same store, now with the broker reachable: the relay publishes what was kept.
        async with service_client(create_app(settings)):
            message = await eventually(lambda: queue.get(fail=False), timeout=60)
    assert json.loads(message.body)["data"]["report_id"] == report_id


async def test_the_openapi_document_lists_intakes_routes_with_examples(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/v1/reports",
        "/v1/reports/{report_id}/revisions",
        "/v1/attachments",
        "/v1/attachments/{sha256}",
        "/v1/wilayah/{code}",
    ):
        assert path in paths, path
    submit = paths["/v1/reports"]["post"]
    examples = submit["requestBody"]["content"]["application/json"]["examples"]
    assert set(examples) == {"kegiatan", "usulan", "progres_dana"}
    assert {"202", "401", "403", "413", "422", "429"} <= set(submit["responses"])
    assert not any(p.startswith("/v1/{rest") for p in paths)  # the gateway stays out of it
