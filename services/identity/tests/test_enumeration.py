"""A number without an account costs the same Argon2 work as one with: checked by counting the
hasher's verifications (never by timing), for sign-in and activation alike; and a throttled
attempt costs none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sipokat.identity.adapters.passwords import PasswordHasher
from sipokat.identity.bootstrap import create_app
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.testing import bearer, in_memory, runtime_of_app, service_client

RT = "16.73.02.1019/007"
PIN = "482915"


class CountingHash:
    """pwdlib's PasswordHash, recording the hash each verification was made against."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.verified: list[str] = []

    def hash(self, secret: str) -> str:
        return str(self.inner.hash(secret))

    def verify(self, secret: str, hashed: str) -> bool:
        self.verified.append(hashed)
        return bool(self.inner.verify(secret, hashed))

    def verify_and_update(self, secret: str, hashed: str) -> tuple[bool, str | None]:
        self.verified.append(hashed)
        matches, updated = self.inner.verify_and_update(secret, hashed)
        return bool(matches), updated


Client = tuple[httpx.AsyncClient, CountingHash]


@pytest.fixture
async def identity(tmp_path: Path) -> AsyncIterator[Client]:
    settings = IdentitySettings(
        data_dir=tmp_path, signin_free_failures=2, signin_lock_after=3, address_free_failures=50
    )
    app = create_app(settings)
    in_memory(app)
    async with service_client(app) as client:
        hasher: PasswordHasher = runtime_of_app(app).context.hasher
        counting = CountingHash(hasher._hash)
        hasher._hash = counting  # type: ignore[assignment]
        yield client, counting


def parameters(hashed: str) -> str:
    """`$argon2id$v=19$m=19456,t=2,p=1`: what a verification against the hash costs."""
    return hashed.rsplit("$", 2)[0]


async def new_account(client: httpx.AsyncClient, phone: str, *, activate: bool) -> str:
    created = await client.post(
        "/v1/accounts",
        json={"name": "Siti Rahma", "phone": phone, "role": "ketua_rt", "wilayah": RT},
        headers=bearer("admin", None),
    )
    assert created.status_code == 201, created.text
    code: str = created.json()["activation_code"]
    if activate:
        done = await client.post(
            "/v1/auth/activate", json={"phone": phone, "code": code, "password": PIN}
        )
        assert done.status_code == 200, done.text
    return code


async def test_every_failed_sign_in_costs_one_argon2_verification_at_the_same_parameters(
    identity: Client,
) -> None:
    client, counting = identity
    await new_account(client, "081234567890", activate=True)
    await new_account(client, "081300001111", activate=False)  # no password yet
    real = counting.verified[-1]  # the activation's check of its code: a real stored hash
    cases = {
        "wrong password": "081234567890",
        "no password yet": "081300001111",
        "no account": "081299998888",
    }
    checked = {}
    for case, phone in cases.items():
        before = len(counting.verified)
        answer = await client.post(
            "/v1/auth/signin", json={"phone": phone, "password": "salah-sekali-123"}
        )
        assert answer.status_code == 401, (case, answer.text)
        checked[case] = counting.verified[before:]
    assert all(len(hashes) == 1 for hashes in checked.values()), checked
    assert {parameters(hashes[0]) for hashes in checked.values()} == {parameters(real)}
    assert parameters(real) == "$argon2id$v=19$m=19456,t=2,p=1"


async def test_every_failed_activation_costs_one_argon2_verification(identity: Client) -> None:
    client, counting = identity
    await new_account(client, "081234567890", activate=False)
    await new_account(client, "081300001111", activate=True)  # its code spent
    for phone in ("081234567890", "081300001111", "081299998888"):
        before = len(counting.verified)
        answer = await client.post(
            "/v1/auth/activate", json={"phone": phone, "code": "ABCDEFGHJK", "password": PIN}
        )
        assert answer.status_code == 401, answer.text
        assert len(counting.verified) == before + 1, phone


async def test_a_throttled_attempt_costs_no_argon2_work(identity: Client) -> None:
    client, counting = identity
    await new_account(client, "081234567890", activate=True)
    for phone in ("081234567890", "081299998888"):
        answers = []
        for _ in range(4):
            before = len(counting.verified)
            answer = await client.post(
                "/v1/auth/signin", json={"phone": phone, "password": "salah-sekali-123"}
            )
            answers.append((answer.status_code, len(counting.verified) - before))
        # Two free failures, the third sets a wait: the fourth is answered before any hashing,
        # so a flood of attempts at a locked number costs the server nothing.
        assert answers == [(401, 1), (401, 1), (401, 1), (429, 0)], phone
