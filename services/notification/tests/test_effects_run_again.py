"""Every ledger and view effect run again, as MongoDB's with_transaction may run it (the store
contract: an effect may run more than once): still one claim, one send and one push per
delivery, over a real webhook receiver and a real SMTP server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from notification_support import started

from sipokat.events.store import ViewTransaction
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import RerunEffects, Reruns, eventually, make_submitted
from sipokat.notification.adapters import ledger as L
from sipokat.notification.adapters.ledger import Ledger
from sipokat.notification.adapters.live import Hub
from sipokat.notification.handlers import Deliverer, Notifier, notifier
from sipokat.notification.queries import INBOX, inbox_items
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.testing import Mailbox, Receiver, bearer

INTEGRATOR = bearer("integrator", None)
LURAH = bearer("lurah", "16.73.02.1019")
LURAH_OFFICE = "lurah:16.73.02.1019"


def once(action: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
    """`action` the first time only: another replica's work between two runs of an effect."""
    done = False

    async def run() -> None:
        nonlocal done
        if not done:
            done = True
            await action()

    return run


@contextlib.asynccontextmanager
async def handles(path: Path, count: int) -> AsyncIterator[list[SqliteDatabase]]:
    """`count` replicas' handles on one store."""
    opened = [await SqliteDatabase.open(path) for _ in range(count)]
    try:
        yield opened
    finally:
        for handle in opened:
            await handle.close()


def replica_settings(tmp_path: Path, smtp: Mailbox) -> NotificationSettings:
    return NotificationSettings(
        data_dir=tmp_path,
        webhook_allow_private=True,
        smtp_enabled=True,
        smtp_port=smtp.port,
        smtp_sender="sipokat@kota.test",
        digest_enabled=False,
    )


@pytest.mark.parametrize("channel", ["webhook", "email"])
async def test_a_claim_run_again_after_another_replica_took_it_sends_nothing(
    tmp_path: Path, receiver: Receiver, smtp: Mailbox, channel: str
) -> None:
    """Replica A's claim runs, is aborted, and replica B claims, sends and records the attempt
    before A's claim runs again: A must not send what its aborted run had claimed."""
    await receiver.start()
    settings = replica_settings(tmp_path, smtp)
    async with handles(tmp_path / "ledger.db", 2) as (here, there), httpx.AsyncClient() as client:
        ledger_b = Ledger(there)
        if channel == "webhook":
            subscription = {
                "id": "s1",
                "url": receiver.url,
                "patterns": ["report.#"],
                "secret": "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=",
                "status": "active",
                "created_at": "2000-01-01T00:00:00+00:00",
            }

            async def subscribe(tx: ViewTransaction) -> None:
                await L.put_subscription(tx, "s1", subscription)

            await ledger_b.write(subscribe)
        else:

            async def prefer(tx: ViewTransaction) -> None:
                await tx.put(L.PREFERENCES, LURAH_OFFICE, {"email": "lurah@kota.test"})

            await ledger_b.write(prefer)
        planner = Notifier(there.views, ledger_b, settings, Hub())
        assert await planner.plan(make_submitted()) == 1

        replica_b = Deliverer(ledger_b, settings, client)
        ledger_a = Ledger(here)
        ledger_a.views = RerunEffects(here.views, between=once(replica_b.deliver_due))
        assert await Deliverer(ledger_a, settings, client).deliver_due() == 0

        (delivery,) = await ledger_b.find(L.DELIVERIES)
        assert delivery["status"] == "delivered"
        assert len(await ledger_b.find(L.ATTEMPTS)) == 1
    sent = receiver.received if channel == "webhook" else smtp.messages
    assert len(sent) == 1


async def test_an_event_another_replica_applied_meanwhile_is_pushed_once(
    tmp_path: Path, smtp: Mailbox
) -> None:
    """The live fold runs, is aborted, and another replica applies the event and pushes its
    inbox item before the fold runs again: the item reaches open apps once, not twice."""
    settings = replica_settings(tmp_path, smtp).model_copy(update={"smtp_enabled": False})
    submitted = make_submitted()
    (item,) = inbox_items(submitted)
    async with (
        handles(tmp_path / "views.db", 2) as (here, there),
        handles(tmp_path / "ledger.db", 1) as (ledger_db,),
    ):
        hubs = Hub(), Hub()
        replica_b = Notifier(there.views, Ledger(ledger_db), settings, hubs[1])
        views_a = RerunEffects(here.views, between=once(lambda: replica_b.handle(submitted)))
        replica_a = Notifier(views_a, Ledger(ledger_db), settings, hubs[0])
        with hubs[0].listen(item["recipient"]) as at_a, hubs[1].listen(item["recipient"]) as at_b:
            await replica_a.handle(submitted)
            assert views_a.reruns.rehearsed == 1
            assert at_a.qsize() + at_b.qsize() == 1
        assert await here.views.find(INBOX) == [item]


async def test_the_service_with_every_effect_run_twice_sends_and_pushes_each_once(
    settings: NotificationSettings, receiver: Receiver, smtp: Mailbox, rerun_effects: Reruns
) -> None:
    """The whole service (consumer handler, ledger, delivery worker) with every effect of its
    views and ledger run once into an aborted transaction and then for real."""
    await receiver.start()
    settings = settings.model_copy(
        update={"smtp_enabled": True, "smtp_port": smtp.port, "smtp_sender": "s@kota.test"}
    )
    async with started(settings) as service:
        answer = await service.client.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "patterns": ["report.submitted"]},
            headers=INTEGRATOR,
        )
        assert answer.status_code == 201, answer.text
        answer = await service.client.put(
            "/v1/notifications/preferences", json={"email": "l@kota.test"}, headers=LURAH
        )
        assert answer.status_code == 200, answer.text
        events = [make_submitted(uuid4()) for _ in range(3)]
        hub = service.context.hub
        pushed: list[str] = []
        send = hub.send
        hub.send = lambda recipient, item: (pushed.append(item["event_id"]), send(recipient, item))
        handle = notifier(service.context).handle
        for event in [*events, events[0]]:  # and a redelivery
            await handle(event)
        assert sorted(pushed) == sorted(str(e.event_id) for e in events)
        await eventually(lambda: len(receiver.received) == 3, timeout=60)
        await eventually(lambda: len(smtp.messages) == 3, timeout=60)
        inbox = await service.client.get("/v1/notifications/inbox", headers=LURAH)
        assert sorted(i["event_id"] for i in inbox.json()["items"]) == sorted(
            str(e.event_id) for e in events
        )
        attempts = await service.context.ledger.find(L.ATTEMPTS)
        assert len(attempts) == 6 and all(a["ok"] for a in attempts)
    assert len(receiver.received) == 3 and len(smtp.messages) == 3
    assert rerun_effects.rehearsed > 0
