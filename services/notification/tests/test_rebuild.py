"""`POST /v1/notifications/rebuild` (issue 19, item 12): the inbox and waiting views refolded
from the event log, with the guarantee analytics' rebuild gives: the ledger untouched (read
marks kept) and nothing sent again, through the real adapters (a webhook receiver over HTTP, a
real SMTP server) and the live fan-out behind the SSE stream. Real broker and event log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import uuid4

import aio_pika
import pytest
from notification_support import started

from sipokat.events.broker.topology import Topology, declare_event_log, declare_service_queue
from sipokat.events.catalogue import Tier
from sipokat.events.envelope import Envelope
from sipokat.events.testing import TrackedTopology, eventually, make_rejected, make_submitted
from sipokat.notification.adapters import ledger as L
from sipokat.notification.bootstrap import BINDINGS
from sipokat.notification.queries import WAITING
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.testing import Mailbox, Receiver, bearer

pytestmark = pytest.mark.broker

LURAH = bearer("lurah", "16.73.02.1019")
RT_HEAD = bearer("ketua_rt", "16.73.02.1019/007")
ADMIN = bearer("admin", None)


async def publish(url: str, topology: Topology, events: Iterable[Envelope]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_event_log(channel, topology)
        await declare_service_queue(channel, topology, "notification", BINDINGS)
        exchange = await channel.get_exchange(topology.exchange)
        for event in events:
            await exchange.publish(
                aio_pika.Message(event.to_json(), message_id=str(event.event_id)),
                routing_key=event.routing_key,
                mandatory=True,
            )


async def test_a_rebuild_refolds_the_views_and_sends_nothing_again(
    settings: NotificationSettings,
    smtp: Mailbox,
    receiver: Receiver,
    rabbitmq_url: str,
    topology: TrackedTopology,
) -> None:
    topology.service_queue("notification")  # cleaned up afterwards
    settings = settings.model_copy(
        update={
            "rabbitmq_url": rabbitmq_url,
            "smtp_enabled": True,
            "smtp_port": smtp.port,
            "rebuild_idle_seconds": 1.5,
        }
    )
    await receiver.start()
    async with started(settings) as service:
        client, runtime, context = service.client, service.runtime, service.context
        created = await client.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "patterns": ["report.#"]},
            headers=bearer("integrator", None),
        )
        assert created.status_code == 201, created.text
        for headers, email in [(LURAH, "lurah@kota.test"), (RT_HEAD, "rt007@kota.test")]:
            answer = await client.put(
                "/v1/notifications/preferences", json={"email": email}, headers=headers
            )
            assert answer.status_code == 200, answer.text
        report_id = uuid4()
        events = [
            make_submitted(report_id),
            make_rejected(report_id, stream_version=2, tier=Tier.KELURAHAN),
        ]
        await publish(rabbitmq_url, topology, events)

        # Delivered once each: two webhooks, a mail to the lurah and one to the RT head.
        await eventually(
            lambda: len(receiver.received) == 2 and len(smtp.messages) == 2, timeout=60
        )
        inbox = (await client.get("/v1/notifications/inbox", headers=LURAH)).json()
        [item] = inbox["items"]
        read = await client.post(f"/v1/notifications/inbox/{item['id']}/read", headers=LURAH)
        assert read.status_code == 204

        async def inboxes() -> list[dict[str, Any]]:
            return [
                (await client.get("/v1/notifications/inbox", headers=h)).json()
                for h in (LURAH, RT_HEAD)
            ]

        before = await inboxes()
        deliveries = await context.ledger.find(L.DELIVERIES)
        attempts = await context.ledger.find(L.ATTEMPTS)
        assert len(deliveries) == 4
        # A view gone wrong, which the rebuild must bring back from the log.
        await runtime.database.views.reset()
        assert await runtime.database.views.get(WAITING, str(report_id)) is None

        with (
            context.hub.listen("lurah:16.73.02.1019") as lurah_live,
            context.hub.listen("ketua_rt:16.73.02.1019/007") as rt_live,
        ):
            started_rebuild = await client.post("/v1/notifications/rebuild", headers=ADMIN)
            assert started_rebuild.status_code == 202, started_rebuild.text

            async def done() -> dict[str, Any] | None:
                answer = await client.get("/v1/notifications/rebuild", headers=ADMIN)
                status: dict[str, Any] | None = answer.json()["status"]
                return status if status and status["state"] != "running" else None

            status = await eventually(done, timeout=60)
            assert status["state"] == "done", status
            assert status["events_read"] == 2 and status["events_applied"] == 2
            assert await inboxes() == before  # the read mark is kept
            waiting = await runtime.database.views.get(WAITING, str(report_id))
            assert waiting is not None and waiting["version"] == 2
            # A redelivery of a replayed event after the rebuild pushes nothing either.
            consumer = runtime.consumer
            assert consumer is not None
            handled = consumer.stats.consumed
            await publish(rabbitmq_url, topology, events[:1])
            await eventually(lambda: consumer.stats.consumed > handled, timeout=30)
            assert lurah_live.empty() and rt_live.empty()

        assert len(receiver.received) == 2
        assert len(smtp.messages) == 2
        assert await context.ledger.find(L.DELIVERIES) == deliveries
        assert await context.ledger.find(L.ATTEMPTS) == attempts
        assert await context.ledger.find(L.OUTBOX) == []


async def test_only_admins_rebuild(settings: NotificationSettings) -> None:
    async with started(settings) as service:
        for headers in (LURAH, bearer("integrator", None)):
            answer = await service.client.post("/v1/notifications/rebuild", headers=headers)
            assert answer.status_code == 403
