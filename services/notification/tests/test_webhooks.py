"""Webhooks over real HTTP: signed deliveries, retries until a receiver comes up, pausing a
receiver that keeps failing, refusing private targets, and never sending twice."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import httpx
from notification_support import Service, started

from sipokat.events.testing import eventually, make_approved, make_submitted, make_verified
from sipokat.notification.adapters import ledger as L
from sipokat.notification.adapters.webhooks import sign
from sipokat.notification.handlers import Deliverer, notifier, webhook_delivery
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.auth import mint_token
from sipokat.runtime.testing import Receiver, bearer

INTEGRATOR = bearer("integrator", None)


async def subscribe(
    service: Service, url: str, patterns: list[str] | None = None
) -> dict[str, Any]:
    answer = await service.client.post(
        "/v1/webhooks/subscriptions",
        json={"url": url, "patterns": patterns or ["report.#"]},
        headers=INTEGRATOR,
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    assert created["secret"].startswith("whsec_")
    return created


async def delivery_log(service: Service, subscription_id: str) -> dict[str, Any]:
    answer = await service.client.get(
        f"/v1/webhooks/subscriptions/{subscription_id}/deliveries", headers=INTEGRATOR
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_receiver_that_is_down_then_up_gets_the_event_once_signed(
    service: Service, receiver: Receiver
) -> None:
    subscription = await subscribe(service, receiver.url, ["report.submitted"])
    submitted = make_submitted()
    handle = notifier(service.context).handle
    await handle(submitted)
    await handle(make_verified(uuid4(), stream_version=5))  # not matched by the pattern

    async def failed_twice() -> bool:
        log = await delivery_log(service, subscription["id"])
        return log["items"] and len(log["items"][0]["attempt_log"]) >= 2

    await eventually(failed_twice, timeout=60)
    await receiver.start()
    await eventually(lambda: receiver.received, timeout=60)

    # Redelivered by the broker, and replayed in a rebuild: nothing is planned or sent again.
    await handle(submitted)
    await service.runtime.database.views.reset()
    await handle(submitted)
    log = await eventually(lambda: _delivered(service, subscription["id"]), timeout=60)
    assert log["total"] == 1
    attempts = log["items"][0]["attempt_log"]
    assert [a["ok"] for a in attempts][-1] is True
    assert all(a["error"] and "ConnectError" in a["error"] for a in attempts[:-1])
    assert await service.context.ledger.find(L.OUTBOX) == []
    assert len(receiver.received) == 1

    headers, body = receiver.received[0]
    assert json.loads(body)["event_id"] == str(submitted.event_id)
    assert json.loads(body)["type"] == "ReportSubmitted"
    assert headers["webhook-id"] == f"{submitted.event_id}|webhook:{subscription['id']}|webhook"
    expected = sign(
        subscription["secret"], headers["webhook-id"], int(headers["webhook-timestamp"]), body
    )
    assert headers["webhook-signature"] == expected
    assert headers["host"] == f"127.0.0.1:{receiver.port}"


async def _delivered(service: Service, subscription_id: str) -> dict[str, Any] | None:
    log = await delivery_log(service, subscription_id)
    done = [d for d in log["items"] if d["status"] == "delivered"]
    return log if done else None


async def test_a_receiver_that_always_fails_is_paused_and_resumed_by_its_owner(
    service: Service, receiver: Receiver
) -> None:
    receiver.failing = True
    await receiver.start()
    subscription = await subscribe(service, receiver.url)
    handle = notifier(service.context).handle
    rid = uuid4()
    await handle(make_submitted(rid))

    async def paused() -> dict[str, Any] | None:
        answer = await service.client.get(
            f"/v1/webhooks/subscriptions/{subscription['id']}", headers=INTEGRATOR
        )
        body: dict[str, Any] = answer.json()
        return body if body["status"] == "paused" else None

    state = await eventually(paused, timeout=60)
    assert state["consecutive_failures"] == 3
    assert "3 deliveries in a row failed" in state["paused_reason"]
    assert "HTTP 500" in state["paused_reason"]
    assert "secret" not in state
    log = await delivery_log(service, subscription["id"])
    assert [a["status_code"] for a in log["items"][0]["attempt_log"]] == [500, 500, 500]

    # While paused, new events are kept, not tried.
    await handle(make_approved(rid, stream_version=2))
    await eventually(lambda: _held(service, 2), timeout=60)
    log = await delivery_log(service, subscription["id"])
    assert sum(len(d["attempt_log"]) for d in log["items"]) == 3

    receiver.failing = False
    resumed = await service.client.post(
        f"/v1/webhooks/subscriptions/{subscription['id']}/resume", headers=INTEGRATOR
    )
    assert resumed.status_code == 200
    assert resumed.json()["status"] == "active"
    await eventually(lambda: len(receiver.received) == 2, timeout=60)
    types = sorted(json.loads(body)["type"] for _, body in receiver.received)
    assert types == ["ReportApproved", "ReportSubmitted"]


async def _held(service: Service, count: int) -> bool:
    return len(await service.context.ledger.find(L.HELD)) == count


async def test_private_and_malformed_targets_are_refused_unless_allowed(
    settings: NotificationSettings,
) -> None:
    strict = settings.model_copy(update={"webhook_allow_private": False})
    async with started(strict) as service:
        for url, words in [
            ("http://127.0.0.1:9/hook", "loopback"),
            ("http://localhost:9/hook", "loopback"),
            ("http://10.0.0.8/hook", "private"),
            ("http://169.254.169.254/latest/meta-data", "link-local"),
            ("http://[::1]/hook", "loopback"),
            ("http://[::ffff:192.168.1.1]/hook", "private"),
            ("ftp://example.org/hook", "http or https"),
            ("http://user:pw@example.org/hook", "credentials"),
            ("http:///hook", "no host"),
        ]:
            answer = await service.client.post(
                "/v1/webhooks/subscriptions",
                json={"url": url, "patterns": ["#"]},
                headers=INTEGRATOR,
            )
            assert answer.status_code == 422, (url, answer.text)
            problem = answer.json()
            assert answer.headers["content-type"] == "application/problem+json"
            assert problem["errors"][0]["pointer"] == "/body/url"
            assert words in problem["detail"], (url, problem["detail"])


async def test_the_address_is_checked_again_at_delivery_time(
    settings: NotificationSettings, receiver: Receiver
) -> None:
    """A name that resolved to a public address when subscribed may point inside later (DNS
    rebinding): the worker checks what it connects to, every attempt."""
    await receiver.start()
    strict = settings.model_copy(update={"webhook_allow_private": False})
    async with started(strict) as service:
        subscription = {
            "id": "rebound",
            "owner": "integrator-None",
            "url": receiver.url,
            "patterns": ["#"],
            "secret": "whsec_" + "A" * 32,
            "status": "active",
            "created_at": "2000-01-01T00:00:00+00:00",
        }

        async def put(tx: Any) -> None:
            await L.put_subscription(tx, "rebound", subscription)

        await service.context.ledger.write(put)
        await notifier(service.context).handle(make_submitted())
        log = await eventually(lambda: delivery_log(service, "rebound"), timeout=60)
        await eventually(
            lambda: _attempted(service, "rebound"), timeout=60, message="no attempt made"
        )
        log = await delivery_log(service, "rebound")
        assert "refused" in log["items"][0]["attempt_log"][0]["error"]
        assert "loopback" in log["items"][0]["attempt_log"][0]["error"]
        assert receiver.received == []


async def _attempted(service: Service, subscription_id: str) -> bool:
    log = await delivery_log(service, subscription_id)
    return bool(log["items"] and log["items"][0]["attempt_log"])


async def test_one_attempt_is_claimed_by_one_worker_only(
    service: Service, receiver: Receiver, settings: NotificationSettings
) -> None:
    """Two replicas' workers racing over the same outbox send each attempt once."""
    await receiver.start()
    ledger = service.context.ledger
    subscription = await subscribe(service, receiver.url)
    stored = await ledger.get(L.SUBSCRIPTIONS, subscription["id"])
    assert stored is not None
    # Planned straight into the ledger, then raced by two more workers beside the service's own.
    delivery = webhook_delivery(make_submitted(), stored, make_submitted().occurred_at)
    async with httpx.AsyncClient() as client:
        workers = [Deliverer(ledger, settings, client) for _ in range(2)]
        await ledger.enqueue(delivery)
        for _ in range(3):
            for worker in workers:
                await worker.deliver_due()
        await eventually(lambda: receiver.received, timeout=60)
    assert len(receiver.received) == 1


async def test_subscriptions_belong_to_their_owner(service: Service, receiver: Receiver) -> None:
    subscription = await subscribe(service, receiver.url)
    path = f"/v1/webhooks/subscriptions/{subscription['id']}"
    other_token = mint_token(service.runtime.settings, subject="someone-else", role="integrator")
    other = {"Authorization": f"Bearer {other_token}"}
    assert (await service.client.get(path, headers=other)).status_code == 404
    assert (await service.client.delete(path, headers=other)).status_code == 404
    assert (await service.client.get(path, headers=bearer("admin", None))).status_code == 200
    lurah = bearer("lurah", "16.73.02.1019")
    denied = await service.client.post(
        "/v1/webhooks/subscriptions", json={"url": receiver.url, "patterns": ["#"]}, headers=lurah
    )
    assert denied.status_code == 403
    bad = await service.client.post(
        "/v1/webhooks/subscriptions",
        json={"url": receiver.url, "patterns": ["report..x"]},
        headers=INTEGRATOR,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/body/patterns/0"
    assert (await service.client.delete(path, headers=INTEGRATOR)).status_code == 204
    assert (await service.client.get(path, headers=INTEGRATOR)).status_code == 404
