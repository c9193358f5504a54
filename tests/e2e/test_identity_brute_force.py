"""Brute force and enumeration against sign-in and activation, through the gateway, with the
services as real processes (issue 22).

Each attack comes from its own loopback address (127.0.0.x, bound by the client), so one
platform holds them all apart and the per-address throttle is really keyed by the address the
gateway forwards: the gateway trusts X-Forwarded-For only from FORWARDED_ALLOW_IPS (uvicorn's
default, 127.0.0.1), identity trusts the gateway's. The thresholds are made small; no test asserts
a duration.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from harness import RT, SERVICES, Platform, auth
from sipokat.events.broker.topology import Topology
from sipokat.events.testing import delete_topology

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

PIN = "480913"
WRONG = "salah-sekali-123"
# Per number: 2 failures free, the 3rd starts a wait (1 s), the 4th locks (1 minute).
# Per address: 6 free, the 7th starts a wait, the 9th locks.
SETTINGS = {
    "SIPOKAT_SIGNIN_FREE_FAILURES": "2",
    "SIPOKAT_SIGNIN_LOCK_AFTER": "4",
    "SIPOKAT_SIGNIN_LOCK_MINUTES": "1",
    "SIPOKAT_ADDRESS_FREE_FAILURES": "6",
    "SIPOKAT_ADDRESS_LOCK_AFTER": "9",
}


@pytest.fixture(scope="module")
def platform(rabbitmq_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """One platform for the module: each attack keeps apart by its own address and numbers."""
    running = Platform(
        rabbitmq_url,
        prefix=f"e2e-{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path_factory.mktemp("brute"),
        settings=SETTINGS,
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
        asyncio.run(delete_topology(rabbitmq_url, Topology(running.prefix), SERVICES))


_hosts = iter(range(20, 250))


def new_host() -> str:
    """A loopback address no other attack of this module comes from."""
    return f"127.0.0.{next(_hosts)}"


def from_address(platform: Platform, host: str) -> httpx.AsyncClient:
    """A client of the gateway whose connections come from `host`."""
    return httpx.AsyncClient(
        base_url=platform.url(),
        timeout=15,
        transport=httpx.AsyncHTTPTransport(local_address=host),
    )


def new_phone() -> str:
    return f"0812{uuid.uuid4().int % 10**8:08d}"


async def account(platform: Platform, *, activate: bool = True) -> tuple[str, str]:
    """A new RT head: (phone, activation code); with `activate`, the code is spent on PIN."""
    phone = new_phone()
    async with from_address(platform, "127.0.0.2") as admin:
        created = await admin.post(
            "/v1/accounts",
            json={"name": "Pak RT", "phone": phone, "role": "ketua_rt", "wilayah": RT},
            headers=auth("admin", None),
        )
        assert created.status_code == 201, created.text
        code: str = created.json()["activation_code"]
        if activate:
            done = await admin.post(
                "/v1/auth/activate", json={"phone": phone, "code": code, "password": PIN}
            )
            assert done.status_code == 200, done.text
    return phone, code


async def sign_in(
    client: httpx.AsyncClient, phone: str, password: str = WRONG, **headers: str
) -> httpx.Response:
    return await client.post(
        "/v1/auth/signin", json={"phone": phone, "password": password}, headers=headers
    )


async def activate(client: httpx.AsyncClient, phone: str, code: str) -> httpx.Response:
    return await client.post(
        "/v1/auth/activate", json={"phone": phone, "code": code, "password": PIN}
    )


Attempt = Callable[[], Awaitable[httpx.Response]]


async def until_locked(attempt: Attempt) -> list[tuple[int, str | None, bytes]]:
    """Failed attempts until the number locks, each followed at once by one more: what each
    answered (status, Retry-After, the body's bytes)."""
    seen = []
    for _ in range(3):
        for answer in (await attempt(), await attempt()):
            seen.append((answer.status_code, answer.headers.get("retry-after"), answer.content))
        if seen[-1][:2] == (429, "1"):
            await asyncio.sleep(1.1)  # the wait the first failure past the free ones set
    return seen


# 2 free failures; the 3rd sets a wait of 1 s; after it, the 4th locks the number for a minute.
SLOWED_THEN_LOCKED = [(401, None), (401, None), (401, None), (429, "1"), (401, None), (429, "60")]


def statuses(seen: list[tuple[int, str | None, bytes]]) -> list[tuple[int, str | None]]:
    return [(status, retry) for status, retry, _ in seen]


async def test_guessing_one_number_slows_down_then_locks_it_even_for_the_right_pin(
    platform: Platform,
) -> None:
    phone, _ = await account(platform)
    other, _ = await account(platform)
    attacker, owner = new_host(), new_host()
    async with from_address(platform, attacker) as client:
        seen = await until_locked(lambda: sign_in(client, phone))
        right_pin = await sign_in(client, phone, PIN)
        # The 4 failures locked the number, not the attacker's address (6 free there).
        another_number = await sign_in(client, other, PIN)
    async with from_address(platform, owner) as client:
        owners_try = await sign_in(client, phone, PIN)
    assert statuses(seen) == SLOWED_THEN_LOCKED
    assert json.loads(seen[-1][2])["title"] == "Too many requests"
    assert right_pin.status_code == 429, right_pin.text
    assert int(right_pin.headers["retry-after"]) > 50
    # The lock is the number's, wherever the attempt comes from.
    assert owners_try.status_code == 429, owners_try.text
    assert another_number.status_code == 200, another_number.text


async def test_a_number_without_an_account_answers_byte_for_byte_as_a_known_one(
    platform: Platform,
) -> None:
    known, _ = await account(platform)
    unknown = new_phone()
    async with from_address(platform, new_host()) as client:
        known_seen = await until_locked(lambda: sign_in(client, known))
    async with from_address(platform, new_host()) as client:
        unknown_seen = await until_locked(lambda: sign_in(client, unknown))
    assert statuses(known_seen) == SLOWED_THEN_LOCKED
    # Status, Retry-After and every byte of the problem, at every step: nothing tells which
    # number has an account. (A problem's `instance` is the path: the same for both.)
    assert unknown_seen == known_seen
    assert json.loads(known_seen[0][2])["title"] == "Sign-in failed"


async def test_one_address_spraying_numbers_is_throttled_whatever_x_forwarded_for_it_sends(
    platform: Platform,
) -> None:
    sprayer = new_host()
    async with from_address(platform, sprayer) as client:
        answers = []
        for n in range(8):
            # A made-up X-Forwarded-For each time: were it believed, every attempt would come
            # from a fresh address and never be throttled.
            spoofed = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
            answers.append(await sign_in(client, new_phone(), **spoofed))
    async with from_address(platform, new_host()) as client:
        bystander = await sign_in(client, new_phone())
    # 6 failures free per address, the 7th sets a wait: the 8th attempt waits.
    assert [a.status_code for a in answers] == [401] * 7 + [429]
    assert answers[-1].headers["retry-after"] == "1"
    # Another address is heard: the gateway forwards each client's own address (were it its
    # own, every client would share one throttle).
    assert bystander.status_code == 401, bystander.text


async def test_behind_a_trusted_proxy_the_address_it_saw_counts_not_what_the_client_wrote(
    platform: Platform,
) -> None:
    """A reverse proxy on the gateway's host (127.0.0.1, trusted by default) appends the
    address it saw to whatever X-Forwarded-For the client sent; the gateway takes the last
    address not its own, so the client's own entries change nothing."""
    seen_by_proxy = new_host()
    answers = []
    async with from_address(platform, "127.0.0.1") as proxy:
        for n in range(8):
            forwarded = {"X-Forwarded-For": f"198.51.100.{n + 1}, {seen_by_proxy}"}
            answers.append(await sign_in(proxy, new_phone(), **forwarded))
    async with from_address(platform, seen_by_proxy) as client:
        direct = await sign_in(client, new_phone())
    assert [a.status_code for a in answers] == [401] * 7 + [429]
    # The same address coming directly is the same client: it waits too.
    assert direct.status_code == 429, direct.text


async def test_guessing_an_activation_code_is_throttled_as_sign_in_and_tells_nothing(
    platform: Platform,
) -> None:
    pending, code = await account(platform, activate=False)
    unknown = new_phone()
    wrong_code = "ABCDEFGHJK" if code != "ABCDEFGHJK" else "KJHGFEDCBA"
    async with from_address(platform, new_host()) as client:
        known_seen = await until_locked(lambda: activate(client, pending, wrong_code))
        right_code = await activate(client, pending, code)
    async with from_address(platform, new_host()) as client:
        unknown_seen = await until_locked(lambda: activate(client, unknown, wrong_code))
    assert statuses(known_seen) == SLOWED_THEN_LOCKED
    assert json.loads(known_seen[0][2])["title"] == "Activation failed"
    assert unknown_seen == known_seen
    # The right code is not heard while the number is locked, and is still unspent after.
    assert right_code.status_code == 429, right_code.text
