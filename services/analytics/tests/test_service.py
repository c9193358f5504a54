"""The service on a real broker and a real SQLite store: fed live by its queue, unchanged by
redelivered events, and rebuilt from the event log stream to the same documents, answering 503
with Retry-After while it rebuilds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from analytics_support.broker import publish
from analytics_support.checks import assert_matches_oracle
from analytics_support.oracle import Oracle
from analytics_support.scenario import generate

from sipokat.analytics.bootstrap import create_app
from sipokat.analytics.domain.areas import Area
from sipokat.analytics.queries import FACTS, Reader, aggregate_collection
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.events.store.base import ViewStore
from sipokat.events.testing import TrackedTopology, delete_topology, eventually
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

pytestmark = pytest.mark.broker

CITY = Area("kota", "16.73")


async def documents(views: ViewStore) -> dict[str, list[dict[str, Any]]]:
    names = [FACTS, *(aggregate_collection(x) for x in ("kota", "kecamatan", "kelurahan", "rt"))]
    return {name: await views.find(name, limit=1_000_000) for name in names}


async def matches(reader: Reader, oracle: Oracle) -> bool:
    try:
        await assert_matches_oracle(reader, oracle, CITY)
    except AssertionError:
        return False
    return True


async def test_live_rebuilt_and_independent_figures_agree(
    rabbitmq_url: str, topology: TrackedTopology, tmp_path: Path
) -> None:
    topology.service_queue("analytics")  # cleaned up afterwards
    events = generate(seed=21, reports=250)
    await publish(rabbitmq_url, topology, events)
    settings = AnalyticsSettings(
        rabbitmq_url=rabbitmq_url,
        broker_prefix=topology.prefix,
        data_dir=tmp_path,
        rebuild_idle_seconds=1.5,
    )
    app = create_app(settings)
    admin = bearer("admin", None, settings)
    async with service_client(app) as client:
        reader: Reader = runtime_of_app(app).context.reader
        views = runtime_of_app(app).database.views
        await eventually(lambda: matches(reader, Oracle(events, lambda _: True)), timeout=60)
        live = await documents(views)

        # Redelivered and duplicated events change nothing.
        await publish(rabbitmq_url, topology, events[:300])
        consumer = runtime_of_app(app).consumer
        assert consumer is not None
        handled = len(events) + 300
        await eventually(lambda: consumer.stats.consumed >= handled, timeout=60)
        assert consumer.stats.consumed == handled and not consumer.stats.dead_lettered
        assert await documents(views) == live

        started = await client.post("/v1/analytics/rebuild", headers=admin)
        assert started.status_code == 202, started.text
        busy = await client.get("/v1/analytics/summary", headers=admin)
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "5"
        assert busy.headers["content-type"] == "application/problem+json"
        # An event published during the rebuild waits for it, then counts once.
        later = generate(seed=22, reports=3)
        await publish(rabbitmq_url, topology, later)

        async def done() -> dict[str, Any] | None:
            status = (await client.get("/v1/analytics/rebuild", headers=admin)).json()["status"]
            return status if status and status["state"] == "done" else None

        status = await eventually(done, timeout=90)
        assert status["events_read"] >= len(events) + 300
        everything = events + later
        await eventually(lambda: matches(reader, Oracle(everything, lambda _: True)), timeout=60)
        rebuilt = await documents(views)
        assert (await client.get("/v1/analytics/summary", headers=admin)).status_code == 200

    # The rebuilt documents are those a live fold of everything makes in a fresh store.
    fresh_settings = settings.model_copy(update={"data_dir": tmp_path / "fresh"})
    (tmp_path / "fresh").mkdir()
    fresh_topology = TrackedTopology(prefix=topology.prefix + "-fresh")
    fresh_topology.service_queue("analytics")
    await publish(rabbitmq_url, fresh_topology, everything)
    fresh_app = create_app(
        fresh_settings.model_copy(update={"broker_prefix": fresh_topology.prefix})
    )
    try:
        async with service_client(fresh_app):
            fresh_reader: Reader = runtime_of_app(fresh_app).context.reader
            oracle = Oracle(everything, lambda _: True)
            await eventually(lambda: matches(fresh_reader, oracle), timeout=60)
            fresh_views = runtime_of_app(fresh_app).database.views
            assert await documents(fresh_views) == rebuilt
    finally:
        await delete_topology(rabbitmq_url, fresh_topology, ["analytics"])
