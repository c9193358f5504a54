"""One event the fold cannot apply never stops analytics (issue 19, item 1): the live consumer
and the rebuild set it aside and go on, the rebuild finishes and queries answer, and after a
fix the set-aside events are retried. Real broker, real event log, real SQLite store.

The bad events go straight onto the exchange (so into the log) as JSON bodies, bypassing
intake: one that does not parse (an unknown type), the issue's Rp 10^30 report (which no
store can hold, or the catalogue refuses), and one report whose fold fails until it is fixed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from uuid import uuid4

import aio_pika
import pytest
from analytics_support.scenario import generate

from sipokat.analytics import handlers as analytics_views
from sipokat.analytics.bootstrap import BINDINGS, create_app
from sipokat.analytics.queries import FACTS
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.events.broker.topology import Topology, declare_event_log, declare_service_queue
from sipokat.events.envelope import Envelope
from sipokat.events.store import ViewStore
from sipokat.events.testing import TrackedTopology, eventually
from sipokat.events.testing.unreadable import oversized_progres_dana, unknown_type
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

pytestmark = pytest.mark.broker


async def publish_raw(url: str, topology: Topology, bodies: Iterable[tuple[bytes, str]]) -> None:
    """Bodies as they are, with their routing keys, as a producer's relay would publish."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_event_log(channel, topology)
        await declare_service_queue(channel, topology, "analytics", BINDINGS)
        exchange = await channel.get_exchange(topology.exchange)
        for body, routing_key in bodies:
            await exchange.publish(
                aio_pika.Message(body, message_id=str(json.loads(body).get("event_id", uuid4()))),
                routing_key=routing_key,
                mandatory=True,
            )


def report_of(envelope: Envelope) -> str:
    return str(envelope.data.report_id)  # type: ignore[attr-defined]


async def test_the_rebuild_sets_aside_what_it_cannot_fold_and_queries_answer(
    rabbitmq_url: str,
    topology: TrackedTopology,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topology.service_queue("analytics")  # cleaned up afterwards
    events = generate(seed=31, reports=20)
    broken = report_of(events[0])  # this report's fold fails until "the fix"
    broken_events = [e for e in events if report_of(e) == broken]
    apply = analytics_views._Batch.apply

    def failing_apply(self: analytics_views._Batch, envelope: Envelope) -> bool:
        if report_of(envelope) == broken:
            raise OverflowError("Integer exceeds 64-bit range")
        return apply(self, envelope)

    monkeypatch.setattr(analytics_views._Batch, "apply", failing_apply)
    bad = [
        (unknown_type(), "report.submitted"),
        (oversized_progres_dana(), "report.submitted"),
    ]
    await publish_raw(
        rabbitmq_url,
        topology,
        [*((e.to_json(), e.routing_key) for e in events[:30]), *bad]
        + [(e.to_json(), e.routing_key) for e in events[30:]],
    )
    settings = AnalyticsSettings(
        rabbitmq_url=rabbitmq_url,
        broker_prefix=topology.prefix,
        data_dir=tmp_path,
        rebuild_idle_seconds=1.5,
    )
    app = create_app(settings)
    admin = bearer("admin", None, settings)
    good_reports = {report_of(e) for e in events} - {broken}
    async with service_client(app) as client:
        runtime = runtime_of_app(app)
        views = runtime.database.views

        async def all_good_applied() -> bool:
            return all([await views.get(FACTS, r) is not None for r in good_reports])

        await eventually(all_good_applied, timeout=60)
        # Live: the broken report's events are set aside by the consumer after its retries.
        await eventually(
            lambda: _count(views, "analytics.consumer", len(broken_events)), timeout=60
        )
        assert await views.get(FACTS, broken) is None

        started = await client.post("/v1/analytics/rebuild", headers=admin)
        assert started.status_code == 202, started.text

        async def done() -> dict[str, object] | None:
            status = (await client.get("/v1/analytics/rebuild", headers=admin)).json()["status"]
            return status if status and status["state"] != "running" else None

        status = await eventually(done, timeout=90)
        assert status["state"] == "done", status
        assert status["unparseable"] >= 1
        assert status["events_read"] == len(events) + len(bad)
        for path in ("/v1/analytics/summary", "/v1/analytics/funds", "/v1/public/activity"):
            answer = await client.get(path, headers=bearer("pemkot", "16.73", settings))
            assert answer.status_code == 200, (path, answer.text)
        open311 = await client.get("/open311/v2/requests.json", params={"jurisdiction_id": "16.73"})
        assert open311.status_code == 200, open311.text
        for report in good_reports:
            assert await views.get(FACTS, report) is not None
        listed = (await client.get("/ops/set-aside", headers=admin)).json()
        rebuild_keys = {i["key"] for i in listed["items"] if i["reader"] == "analytics.rebuild"}
        assert {str(e.event_id) for e in broken_events} <= rebuild_keys
        assert json.loads(bad[0][0])["event_id"] in rebuild_keys
        ready = (await client.get("/health/ready")).json()
        assert ready["checks"]["readers:set_aside"][0]["status"] == "warn"

        monkeypatch.setattr(analytics_views._Batch, "apply", apply)  # the fix
        retried = await client.post("/ops/set-aside/retry", headers=admin, json={})
        assert retried.status_code == 200, retried.text
        applied = {(i["reader"], i["key"]) for i in retried.json()["applied"]}
        for event in broken_events:
            assert ("analytics.rebuild", str(event.event_id)) in applied
            assert ("analytics.consumer", str(event.event_id)) in applied
        # The one that does not parse stays set aside, with its reason.
        still = retried.json()["still_set_aside"]
        assert json.loads(bad[0][0])["event_id"] in {i["key"] for i in still}
        facts = await views.get(FACTS, broken)
        assert facts is not None and facts["version"] == max(
            e.stream_version for e in broken_events
        )


async def _count(views: ViewStore, reader: str, expected: int) -> bool:
    return (await views.set_aside_counts()).get(reader) == expected
