"""The report status view, folded from intake's events, on every store backend."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest

from sipokat.events.projection import projection_handler
from sipokat.events.store import Database
from sipokat.events.testing import TrackedTopology, make_revised, make_submitted
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import bearer, runtime_of_app, service_client
from sipokat.verification import views
from sipokat.verification.bootstrap import create_app


async def test_a_submitted_report_awaits_the_kelurahan(database: Database) -> None:
    handle = projection_handler(database.views, views.project)
    submitted = make_submitted()
    await handle(submitted)
    doc = await database.views.get(views.REPORTS, str(submitted.data.report_id))  # type: ignore[attr-defined]
    assert doc is not None
    assert doc["status"] == "awaiting_kelurahan"
    assert [step["event"] for step in doc["timeline"]] == ["ReportSubmitted"]


async def test_redelivered_events_leave_one_timeline_entry_each(database: Database) -> None:
    handle = projection_handler(database.views, views.project)
    report_id = uuid4()
    submitted = make_submitted(report_id=report_id)
    revised = make_revised(report_id, stream_version=2)
    for event in (submitted, submitted, revised, submitted, revised):
        await handle(event)
    doc = await database.views.get(views.REPORTS, str(report_id))
    assert doc is not None
    assert [step["event"] for step in doc["timeline"]] == ["ReportSubmitted", "ReportRevised"]


RT = "16.73.02.1019/007"


@pytest.mark.broker
@pytest.mark.parametrize(
    ("role", "wilayah", "visible"),
    [
        ("ketua_rt", RT, True),
        ("ketua_rt", "16.73.02.1019/006", False),  # the neighbouring RT
        ("lurah", "16.73.02.1019", True),
        ("lurah", "16.73.02.1018", False),
        ("camat", "16.73.02", True),
        ("camat", "16.73.01", False),
        ("pemkot", "16.73", True),
        ("pemkot", "35.71", False),  # Kota Kediri's office
        ("admin", None, True),
        ("integrator", None, False),
    ],
)
async def test_only_the_owner_and_verifiers_in_jurisdiction_see_a_report(
    tmp_path: Path,
    rabbitmq_url: str,
    topology: TrackedTopology,
    role: str,
    wilayah: str | None,
    visible: bool,
) -> None:
    settings = ServiceSettings(
        data_dir=tmp_path, rabbitmq_url=rabbitmq_url, broker_prefix=topology.prefix
    )
    app = create_app(settings)
    async with service_client(app) as client:
        submitted = make_submitted(rt_code=RT)
        database = runtime_of_app(app).database
        await projection_handler(database.views, views.project)(submitted)
        report_id = submitted.data.report_id  # type: ignore[attr-defined]
        answer = await client.get(f"/v1/reports/{report_id}", headers=bearer(role, wilayah))
        assert answer.status_code == (200 if visible else 404)
        if visible:
            assert answer.json()["report_id"] == str(report_id)
