"""A post ended mid-session (issue 22): the holder loses access at once at every service, not
when the access token expires. Through the gateway, with the real broker and the services as
processes: an RT head signs in and reports; the admin ends the post; the same access token is
refused by intake, verification, analytics, notification and identity as soon as `PostEnded`
has reached them (bounded polling: delivery is asynchronous), and by a service started after
the end, which learns it from identity. A new post's fresh token works. The post events on the
exchange, and in identity's event store, carry no name, phone number or email."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator

import aio_pika
import httpx
import orjson
import pytest

from harness import KELURAHAN, RT, Platform, auth, report_body
from sipokat.events.broker.topology import Topology
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

PIN = "480913"
NAME = "Pak Darman Saputra"
EMAIL = "darman.saputra@example.id"
ADMIN = auth("admin", None)


@pytest.fixture
async def wire(platform: Platform) -> AsyncIterator[list[bytes]]:
    """Every post event on the platform's exchange, as an integrator's queue receives it."""
    bodies: list[bytes] = []
    connection = await aio_pika.connect(platform.rabbitmq_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            Topology(platform.prefix).exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="post.#")

        async def keep(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            bodies.append(message.body)

        await queue.consume(keep, no_ack=True)
        yield bodies
    finally:
        await connection.close()


async def refused_everywhere(
    gateway: httpx.AsyncClient, bearer: dict[str, str], status_url: str
) -> dict[str, int]:
    """Each service's answer to the token, by service: 401 once it knows the post ended."""
    answers = {
        "intake": await gateway.post("/v1/reports", json=report_body(), headers=bearer),
        "verification": await gateway.get(status_url, headers=bearer),
        "analytics": await gateway.get("/v1/analytics/areas", headers=bearer),
        "notification": await gateway.get("/v1/notifications/inbox", headers=bearer),
        "identity": await gateway.get("/v1/accounts/me", headers=bearer),
    }
    return {service: answer.status_code for service, answer in answers.items()}


async def test_an_ended_post_is_refused_at_once_by_every_service(
    platform: Platform, wire: list[bytes]
) -> None:
    phone = f"0812{uuid.uuid4().int % 10**8:08d}"
    async with httpx.AsyncClient(base_url=platform.url(), timeout=15) as gateway:
        created = await gateway.post(
            "/v1/accounts",
            json={"name": NAME, "phone": phone, "email": EMAIL, "role": "ketua_rt", "wilayah": RT},
            headers=ADMIN,
        )
        assert created.status_code == 201, created.text
        account_id = created.json()["account"]["id"]
        code = created.json()["activation_code"]
        activated = await gateway.post(
            "/v1/auth/activate", json={"phone": phone, "code": code, "password": PIN}
        )
        assert activated.status_code == 200, activated.text
        signed_in = await gateway.post("/v1/auth/signin", json={"phone": phone, "password": PIN})
        bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

        accepted = await gateway.post("/v1/reports", json=report_body(), headers=bearer)
        assert accepted.status_code == 202, accepted.text
        status_url = accepted.json()["status_url"]
        before = await refused_everywhere(gateway, bearer, status_url)
        # Accepted everywhere (analytics knows the RT head and refuses the role: 403, not 401).
        assert before == {
            "intake": 202,
            "verification": 200,
            "analytics": 403,
            "notification": 200,
            "identity": 200,
        }

        ended = await gateway.post(f"/v1/accounts/{account_id}/posts/end", headers=ADMIN)
        assert ended.status_code == 200, ended.text

        async def all_refuse() -> dict[str, int] | None:
            answers = await refused_everywhere(gateway, bearer, status_url)
            return answers if set(answers.values()) == {401} else None

        await eventually(all_refuse, timeout=30, interval=0.2)
        refusal = await gateway.get(
            "/v1/notifications/inbox", headers={**bearer, "Accept-Language": "id"}
        )
        assert refusal.status_code == 401
        assert "jabatan untuk token ini sudah berakhir" in refusal.json()["detail"]

        # A service started after the end never saw the event: it asks identity on start.
        await asyncio.to_thread(platform.kill, "verification")
        await asyncio.to_thread(platform.start, "verification")

        async def restarted_refuses() -> bool:
            answer = await gateway.get(status_url, headers=bearer)
            return answer.status_code == 401

        await eventually(
            restarted_refuses,
            timeout=30,
            interval=0.2,
            message="the restarted verification still takes the token",
        )
        ready = (await gateway.get(f"{platform.url('verification')}/health/ready")).json()
        assert ready["checks"]["identity:ended_posts"][0]["status"] == "pass"

        # A new post: a fresh sign-in's token works again, at every service.
        new_post = await gateway.post(
            f"/v1/accounts/{account_id}/posts",
            json={"role": "lurah", "wilayah": KELURAHAN},
            headers=ADMIN,
        )
        assert new_post.status_code == 201, new_post.text
        await asyncio.sleep(1.1)  # `iat` has whole seconds: a token of the end's second is refused
        again = await gateway.post("/v1/auth/signin", json={"phone": phone, "password": PIN})
        assert again.status_code == 200, again.text
        fresh = {"Authorization": f"Bearer {again.json()['access_token']}"}
        assert (await gateway.get("/v1/verification/queue", headers=fresh)).status_code == 200
        assert (await gateway.get(status_url, headers=fresh)).status_code == 200
        assert (await gateway.get("/v1/accounts/me", headers=fresh)).status_code == 200

    # What went on the exchange: the three post changes, each with the account id, never who.
    await eventually(lambda: len(wire) >= 3, timeout=30)
    events = [orjson.loads(body) for body in wire]
    assert [e["type"] for e in events] == ["PostStarted", "PostEnded", "PostStarted"]
    assert {e["data"]["account_id"] for e in events} == {account_id}
    e164 = "+62" + phone[1:]
    stored = sqlite3.connect(platform.data_dir / "identity.db")
    try:
        kept = [bytes(row[0]) for row in stored.execute("SELECT body FROM events")]
    finally:
        stored.close()
    assert len(kept) == 3
    for body in [*wire, *kept]:
        text = body.decode()
        for secret in (NAME, "Darman", EMAIL, "darman.saputra", e164, phone, phone[1:]):
            assert secret not in text
