"""POST /v1/reports in-process, against a real SQLite store and the real broker."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import aio_pika
import pytest

from sipokat.events.broker.topology import declare_exchange
from sipokat.events.testing import TrackedTopology, eventually
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

pytestmark = pytest.mark.broker

RT = "16.73.02.1019/007"


def body(**changes: object) -> dict[str, object]:
    return {
        "kind": "kegiatan",
        "bidang": "pemerintahan",
        "title": "Rapat warga RT 007",
        "description": "Musyawarah rencana perbaikan jalan lingkungan.",
        "activity_date": date.today().isoformat(),
        **changes,
    }


@pytest.fixture
def settings(tmp_path: Path, rabbitmq_url: str, topology: TrackedTopology) -> IntakeSettings:
    return IntakeSettings(
        data_dir=tmp_path, rabbitmq_url=rabbitmq_url, broker_prefix=topology.prefix
    )


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
    ],
)
async def test_bad_reports_are_refused_with_the_field_named(
    settings: IntakeSettings, changes: dict[str, object], pointer: str
) -> None:
    app = create_app(settings)
    async with service_client(app) as client:
        answer = await client.post(
            "/v1/reports", json=body(**changes), headers=bearer("ketua_rt", RT)
        )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert pointer in [error["pointer"] for error in answer.json()["errors"]]
        assert await runtime_of_app(app).database.events.last_position() == 0


async def test_an_rt_head_of_an_rt_not_in_the_directory_is_forbidden(
    settings: IntakeSettings,
) -> None:
    app = create_app(settings)
    async with service_client(app) as client:
        answer = await client.post(
            "/v1/reports", json=body(), headers=bearer("ketua_rt", "16.73.02.1019/999")
        )
        assert answer.status_code == 403
        assert "has RT 001 to" in answer.json()["detail"]
