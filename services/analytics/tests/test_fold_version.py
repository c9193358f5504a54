"""Views folded by another version of the fold rebuild themselves at start-up (issue 19
follow-up): analytics' fold changed (months by activity date, fund progress forward), so views
of an older version, or of none recorded, are refolded from the event log without an operator;
queries answer 503 with Retry-After meanwhile; views of the code's version are left alone.
Real broker and event log, real SQLite store, the app's own lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from analytics_support.broker import publish
from analytics_support.scenario import generate

from sipokat.analytics.bootstrap import create_app
from sipokat.analytics.handlers import VIEW
from sipokat.analytics.queries import FACTS, FOLD_VERSION, rebuild_status
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.events import logrebuild
from sipokat.events.envelope import new_event_id
from sipokat.events.foldversion import KEY, stored_version
from sipokat.events.store import Database, ViewStore, ViewTransaction, open_database
from sipokat.events.testing import TrackedTopology, eventually
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

pytestmark = pytest.mark.broker


async def facts_of_all(views: ViewStore, reports: set[str]) -> bool:
    return all([await views.get(FACTS, report) is not None for report in reports])


@asynccontextmanager
async def stopped_store(data_dir: Path) -> AsyncIterator[Database]:
    database = await open_database("sqlite", service="analytics", data_dir=data_dir)
    try:
        yield database
    finally:
        await database.close()


async def write(views: ViewStore, change: Callable[[ViewTransaction], Awaitable[None]]) -> None:
    await views.apply_once(new_event_id(), change)


@pytest.fixture
async def folded(
    rabbitmq_url: str, topology: TrackedTopology, tmp_path: Path
) -> tuple[AnalyticsSettings, set[str]]:
    """A deployment whose live consumer folded a few reports, then stopped."""
    topology.service_queue("analytics")
    events = generate(seed=7, reports=8)
    await publish(rabbitmq_url, topology, events)
    settings = AnalyticsSettings(
        rabbitmq_url=rabbitmq_url,
        broker_prefix=topology.prefix,
        data_dir=tmp_path,
        rebuild_idle_seconds=1.5,
    )
    reports = {str(e.data.report_id) for e in events}  # type: ignore[attr-defined]
    app = create_app(settings)
    async with service_client(app):
        views = runtime_of_app(app).database.views
        await eventually(lambda: facts_of_all(views, reports), timeout=60)
        # A fresh store only records the code's version: nothing to rebuild.
        assert await stored_version(views, VIEW) == FOLD_VERSION
        assert runtime_of_app(app).rebuilds[VIEW.name].task is None
    return settings, reports


@pytest.mark.parametrize("stored", [FOLD_VERSION - 1, None], ids=["older", "none-recorded"])
async def test_views_of_another_fold_version_are_rebuilt_at_start(
    folded: tuple[AnalyticsSettings, set[str]],
    stored: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, reports = folded
    lost = sorted(reports)[0]

    async def as_an_older_fold_left_them(tx: ViewTransaction) -> None:
        if stored is None:
            await tx.delete(VIEW.meta, KEY)
        else:
            await tx.put(VIEW.meta, KEY, {"version": stored})
        await tx.delete(FACTS, lost)  # a document the old fold got wrong

    async with stopped_store(settings.data_dir) as database:
        await write(database.views, as_an_older_fold_left_them)

    # The replay waits for the gate, so the test sees the rebuild running.
    gate = asyncio.Event()
    replay = logrebuild._replay

    async def gated_replay(*args: Any, **kwargs: Any) -> logrebuild.RebuildReport:
        await gate.wait()
        return await replay(*args, **kwargs)

    monkeypatch.setattr(logrebuild, "_replay", gated_replay)
    app = create_app(settings)
    async with service_client(app) as client:
        views = runtime_of_app(app).database.views
        summary = await client.get("/v1/analytics/summary", headers=bearer("pemkot", "16.73"))
        assert summary.status_code == 503, summary.text
        assert summary.headers["Retry-After"]
        [check] = (await client.get("/health/ready")).json()["checks"]["views:fold_version"]
        assert check["status"] == "warn" and "rebuilding" in check["output"], check
        assert f"version {FOLD_VERSION}" in check["output"]

        gate.set()

        async def done() -> dict[str, Any] | None:
            status = await rebuild_status(views)
            return status if status and status["state"] == "done" else None

        status = await eventually(done, timeout=60)
        assert status["events_read"] >= len(reports)
        assert await views.get(FACTS, lost) is not None  # refolded
        assert await stored_version(views, VIEW) == FOLD_VERSION
        [check] = (await client.get("/health/ready")).json()["checks"]["views:fold_version"]
        assert check == {"status": "pass", "observedValue": FOLD_VERSION}
        summary = await client.get("/v1/analytics/summary", headers=bearer("pemkot", "16.73"))
        assert summary.status_code == 200, summary.text


async def test_views_of_the_code_s_fold_version_are_not_rebuilt(
    folded: tuple[AnalyticsSettings, set[str]],
) -> None:
    settings, reports = folded
    lost = sorted(reports)[0]

    async def drop(tx: ViewTransaction) -> None:
        await tx.delete(FACTS, lost)

    async with stopped_store(settings.data_dir) as database:
        await write(database.views, drop)

    app = create_app(settings)
    async with service_client(app) as client:
        runtime = runtime_of_app(app)
        assert runtime.rebuilds[VIEW.name].task is None  # decided before the consumer started
        assert await rebuild_status(runtime.database.views) is None
        assert await runtime.database.views.get(FACTS, lost) is None
        summary = await client.get("/v1/analytics/summary", headers=bearer("pemkot", "16.73"))
        assert summary.status_code == 200, summary.text
        [check] = (await client.get("/health/ready")).json()["checks"]["views:fold_version"]
        assert check == {"status": "pass", "observedValue": FOLD_VERSION}
