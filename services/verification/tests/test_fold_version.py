"""Views folded by another version of the fold rebuild themselves at start-up (issue 19
follow-up): when the status fold's version is bumped, a deployment's views are refolded from
verification's event store without an operator, status and worklist reads answering 503 with
Retry-After meanwhile; views of the code's version are left alone. In-process with the real
SQLite store, relay, consumer and scheduler."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from verification_support import MONDAY

from sipokat.events.envelope import new_event_id
from sipokat.events.foldversion import FoldedViews, stored_version
from sipokat.events.store import ViewTransaction, open_database
from sipokat.events.testing import TrackedTopology, eventually, make_submitted
from sipokat.runtime.testing import bearer, runtime_of_app, service_client
from sipokat.verification import handlers, queries
from sipokat.verification.bootstrap import create_app
from sipokat.verification.settings import VerificationSettings

pytestmark = pytest.mark.broker

LURAH = bearer("lurah", "16.73.02.1019")


@pytest.fixture
async def folded(
    tmp_path: Path, rabbitmq_url: str, topology: TrackedTopology
) -> tuple[VerificationSettings, str]:
    """A deployment with one report in its views, stopped; the report's status document then
    says what an older fold would have written."""
    settings = VerificationSettings(
        data_dir=tmp_path, rabbitmq_url=rabbitmq_url, broker_prefix=topology.prefix
    )
    submitted = make_submitted().model_copy(update={"occurred_at": MONDAY})
    app = create_app(settings, clock=lambda: MONDAY)
    async with service_client(app):
        runtime = runtime_of_app(app)
        record = handlers.intake_event_handler(
            runtime.database, settings.policy(), runtime.set_aside
        )
        await record(submitted)
        assert await stored_version(runtime.database.views, queries.FOLDED) == queries.FOLD_VERSION
    report = str(submitted.data.report_id)  # type: ignore[attr-defined]

    async def as_an_older_fold_wrote_it(tx: ViewTransaction) -> None:
        doc = await tx.get(queries.REPORTS, report)
        assert doc is not None
        await tx.put(queries.REPORTS, report, {**doc, "status": "old-fold"})

    database = await open_database("sqlite", service="verification", data_dir=tmp_path)
    try:
        await database.views.apply_once(new_event_id(), as_an_older_fold_wrote_it)
    finally:
        await database.close()
    return settings, report


async def test_views_of_another_fold_version_are_rebuilt_at_start(
    folded: tuple[VerificationSettings, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, report = folded
    bumped = FoldedViews(queries.FOLDED.name, queries.META, queries.FOLD_VERSION + 1)
    monkeypatch.setattr(queries, "FOLDED", bumped)  # as whoever changed the fold did
    gate = asyncio.Event()  # the refold waits for it, so the test sees it running
    catch_up = handlers.catch_up

    async def gated_catch_up(*args: Any) -> int:
        await gate.wait()
        return await catch_up(*args)

    monkeypatch.setattr(handlers, "catch_up", gated_catch_up)
    app = create_app(settings, clock=lambda: MONDAY)
    async with service_client(app) as client:
        for path in (f"/v1/reports/{report}", "/v1/verification/queue"):
            answer = await client.get(path, headers=LURAH)
            assert answer.status_code == 503, (path, answer.text)
            assert answer.headers["Retry-After"]
        [check] = (await client.get("/health/ready")).json()["checks"]["views:fold_version"]
        assert check["status"] == "warn" and "rebuilding" in check["output"], check

        gate.set()

        async def refolded() -> bool:
            answer = await client.get(f"/v1/reports/{report}", headers=LURAH)
            return answer.status_code == 200 and answer.json()["status"] == "awaiting_kelurahan"

        await eventually(refolded, timeout=30)
        views_store = runtime_of_app(app).database.views
        assert await stored_version(views_store, bumped) == bumped.version
        [check] = (await client.get("/health/ready")).json()["checks"]["views:fold_version"]
        assert check == {"status": "pass", "observedValue": bumped.version}


async def test_views_of_the_code_s_fold_version_are_not_rebuilt(
    folded: tuple[VerificationSettings, str],
) -> None:
    settings, report = folded
    app = create_app(settings, clock=lambda: MONDAY)
    async with service_client(app) as client:
        assert runtime_of_app(app).rebuilds[queries.FOLDED.name].task is None
        answer = await client.get(f"/v1/reports/{report}", headers=LURAH)
        assert answer.status_code == 200 and answer.json()["status"] == "old-fold"
        [check] = (await client.get("/health/ready")).json()["checks"]["views:fold_version"]
        assert check == {"status": "pass", "observedValue": queries.FOLD_VERSION}
