"""Live inbox items reach the streams of every replica, not only the one that consumed."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from notification_support import Service, started

from sipokat.events.broker.broadcast import Broadcast
from sipokat.events.catalogue import Tier
from sipokat.events.testing import KELURAHAN, RT_CODE, eventually, make_approved, make_submitted
from sipokat.notification.bootstrap import create_app
from sipokat.notification.handlers import notifier
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

LURAH = "lurah:16.73.02.1019"


async def test_an_item_applied_by_one_replica_is_pushed_to_listeners_on_both(
    settings: NotificationSettings,
) -> None:
    # Two replicas on one store, as scaled out on one host; the first handles the event, an
    # app's stream is held by the second.
    async with started(settings) as consuming, started(settings) as other:
        await eventually(
            lambda: (
                consuming.context.broadcast.listening.is_set()
                and other.context.broadcast.listening.is_set()
            )
        )
        with (
            consuming.context.hub.listen(LURAH) as here,
            other.context.hub.listen(LURAH) as there,
        ):
            rid = uuid4()
            submitted = make_submitted(rid)
            await notifier(consuming.context).handle(submitted)

            pushed_there = await asyncio.wait_for(there.get(), timeout=10)
            pushed_here = await asyncio.wait_for(here.get(), timeout=10)
            assert pushed_there is not None and pushed_here is not None
            assert pushed_there == pushed_here
            assert (pushed_there["report_id"], pushed_there["recipient"]) == (str(rid), LURAH)
            assert pushed_there["read"] is False

            # A redelivery applies nothing, so pushes nothing, on either replica.
            await notifier(consuming.context).handle(submitted)
            await asyncio.sleep(0.3)
            assert here.empty() and there.empty()


async def test_readiness_fails_while_the_broadcast_is_not_connected(
    settings: NotificationSettings,
) -> None:
    # The consumer reaches the broker, the broadcast cannot (nothing listens on port 1): the
    # replica would still consume, but its streams would miss what the other replicas consume.
    app = create_app(
        settings,
        broadcast=lambda settings, deliver: Broadcast(
            "amqp://guest:guest@127.0.0.1:1/",
            settings.topology,
            "notification",
            deliver,
            name="unreachable.broadcast",
        ),
    )
    runtime = runtime_of_app(app)
    async with service_client(app) as client:
        await eventually(
            lambda: runtime.consumer is not None and runtime.consumer.link.connected.is_set()
        )
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        broker = ready.json()["checks"]["broker:connection"][0]
        assert broker["status"] == "fail"
        assert broker["output"] == "not connected: unreachable.broadcast"


async def test_readiness_passes_once_the_broadcast_listens(
    settings: NotificationSettings,
) -> None:
    async with started(settings) as service:
        await eventually(lambda: service.context.broadcast.listening.is_set())
        ready = await service.client.get("/health/ready")
        assert ready.json()["checks"]["broker:connection"][0]["status"] == "pass"


async def test_a_pushed_item_names_its_report_as_people_do(service: Service) -> None:
    """An open console lists a new report from its notice alone: title, RT and kelurahan by
    name; a decision's notice (no content in its event) takes the title the views kept."""
    camat = "camat:16.73.02"
    handle = notifier(service.context).handle
    rid = uuid4()
    submitted = make_submitted(rid)
    title = submitted.data.content.title  # type: ignore[union-attr]
    with service.context.hub.listen(LURAH) as lurah, service.context.hub.listen(camat) as above:
        await handle(submitted)
        pushed = await asyncio.wait_for(lurah.get(), timeout=10)
        assert pushed is not None
        assert pushed["report"] == {
            "title": title,
            "rt_code": RT_CODE,
            "rt_number": RT_CODE.rsplit("/", 1)[-1],
            "kelurahan_name": KELURAHAN[1],
            "kecamatan_name": pushed["report"]["kecamatan_name"],
        }
        assert pushed["report"]["kecamatan_name"]
        await handle(make_approved(rid, stream_version=2, tier=Tier.KELURAHAN))
        decided = await asyncio.wait_for(above.get(), timeout=10)
        assert decided is not None and decided["report"]["title"] == title
    # The inbox's stored items are as they were: the names travel on the stream only.
    stored = await service.client.get(
        "/v1/notifications/inbox", headers=bearer("lurah", "16.73.02.1019")
    )
    assert "report" not in stored.json()["items"][0]
