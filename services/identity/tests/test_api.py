"""Identity's HTTP API in-process through its bootstrap, on a memory store with no broker:
accounts and activation, sign-in and its throttling, refresh-token rotation and reuse, sign-out,
password change, the end of a post, and the JWKS the access tokens verify against."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import structlog
from identity_support import Clock, Service, rerun_effects_app

from sipokat.events.testing import RerunEffects
from sipokat.identity import handlers
from sipokat.identity.handlers import accounts as handler_accounts
from sipokat.identity.handlers import keys as handler_keys
from sipokat.identity.handlers import sessions as handler_sessions
from sipokat.identity.queries import ACCOUNTS, FAMILIES, PHONES, REFRESH_TOKENS, SIGNING_KEYS
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

RT, KELURAHAN = "16.73.02.1019/007", "16.73.02.1019"
ADMIN = bearer("admin", None)
INDONESIAN = {"Accept-Language": "id"}
PIN = "482915"


async def create(
    client: httpx.AsyncClient,
    phone: str = "0812-3456-7890",
    role: str = "ketua_rt",
    wilayah: str | None = RT,
) -> dict[str, Any]:
    answer = await client.post(
        "/v1/accounts",
        json={"name": "Siti Rahma", "phone": phone, "role": role, "wilayah": wilayah},
        headers=ADMIN,
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def activated(
    client: httpx.AsyncClient, phone: str = "0812-3456-7890", password: str = PIN, **kw: Any
) -> dict[str, Any]:
    created = await create(client, phone, **kw)
    answer = await client.post(
        "/v1/auth/activate",
        json={"phone": phone, "code": created["activation_code"], "password": password},
    )
    assert answer.status_code == 200, answer.text
    return created["account"]


async def sign_in(
    client: httpx.AsyncClient, phone: str = "081234567890", password: str = PIN
) -> httpx.Response:
    return await client.post("/v1/auth/signin", json={"phone": phone, "password": password})


def token_for(account: dict[str, Any]) -> dict[str, str]:
    """A development token for the account's post (identity's routes read the runtime's
    `CurrentPrincipal`, which trusts HS256 development tokens)."""
    post = account["post"]
    token = mint_token(
        ServiceSettings(), subject=account["id"], role=post["role"], wilayah=post["wilayah"]
    )
    return {"Authorization": f"Bearer {token}"}


async def test_an_admin_creates_an_account_its_holder_activates_and_signs_in(
    service: Service,
) -> None:
    async with service() as client:
        created = await create(client, "0812-3456-7890")
        account = created["account"]
        assert account["phone"] == "+6281234567890"
        assert account["post"]["role"] == "ketua_rt" and account["post"]["wilayah"] == RT
        assert account["activated"] is False
        assert "hash" not in json.dumps(created)
        assert len(created["activation_code"]) == 10

        # Not yet activated: no password signs in.
        assert (await sign_in(client)).status_code == 401
        activation = await client.post(
            "/v1/auth/activate",
            json={
                "phone": "+62 812 3456 7890",
                "code": created["activation_code"].lower(),
                "password": PIN,
            },
        )
        assert activation.status_code == 200, activation.text
        assert activation.headers["cache-control"] == "no-store"
        for spelling in ("081234567890", "62812-3456-7890", "+62 812 3456 7890"):
            answer = await sign_in(client, spelling)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["token_type"] == "Bearer" and body["expires_in"] == 600

        me = await client.get("/v1/accounts/me", headers=token_for(account))
        assert me.status_code == 200
        assert me.json()["activated"] is True and me.json()["id"] == account["id"]
        assert "hash" not in me.text


async def test_the_access_token_verifies_against_the_served_jwks(
    service: Service, clock: Clock
) -> None:
    async with service() as client:
        account = await activated(client)
        tokens = (await sign_in(client)).json()
        served = await client.get("/.well-known/jwks.json")
    assert served.status_code == 200
    keys = jwt.PyJWKSet.from_dict(served.json())
    for key in served.json()["keys"]:
        assert key["alg"] == "RS256" and key["use"] == "sig" and key["kty"] == "RSA"
        assert "d" not in key  # public halves only
    kid = jwt.get_unverified_header(tokens["access_token"])["kid"]
    claims = jwt.decode(
        tokens["access_token"],
        keys[kid].key,
        algorithms=["RS256"],
        audience="sipokat",
        issuer="sipokat-identity",
        options={"verify_exp": False},  # the test's clock is not the wall clock
    )
    assert claims["sub"] == account["id"]
    assert (claims["role"], claims["wilayah"], claims["name"]) == ("ketua_rt", RT, "Siti Rahma")
    assert claims["sid"] == tokens["session_id"]
    assert claims["exp"] - claims["iat"] == 600
    assert claims["iat"] == int(clock.now.timestamp())
    assert claims["jti"]


async def test_a_wrong_password_and_a_number_without_account_answer_alike(
    service: Service,
) -> None:
    async with service() as client:
        await activated(client)
        wrong = await sign_in(client, "081234567890", "kopi susu di pos ronda")
        unknown = await sign_in(client, "081299998888", "kopi susu di pos ronda")
        malformed = await sign_in(client, "0812", PIN)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["title"] == "Sign-in failed"
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["pointer"] == "/body/phone"


async def _attempts(client: httpx.AsyncClient, phone: str, clock: Clock) -> list[Any]:
    """Failures until the number locks: each answer, and what an attempt at once gets."""
    seen: list[Any] = []
    for attempt in range(3):
        seen.append((await sign_in(client, phone, "salah-sekali-123")).status_code)
        at_once = await sign_in(client, phone, "salah-sekali-123")
        seen.append((at_once.status_code, at_once.headers.get("retry-after")))
        if attempt < 2:
            clock.advance(seconds=int(at_once.headers.get("retry-after", 0)))
    return seen


async def test_failures_slow_down_then_lock_a_number_known_or_not_alike(
    service: Service, clock: Clock
) -> None:
    limits = {"signin_free_failures": 2, "signin_lock_after": 4, "address_free_failures": 50}
    async with service(**limits) as client:
        await activated(client)
        known = await _attempts(client, "081234567890", clock)
        locked = await sign_in(client)  # the right PIN, while the number is locked
        assert locked.status_code == 429
        assert locked.json()["title"] == "Too many requests"
        clock.advance(minutes=15)
        assert (await sign_in(client)).status_code == 200
        unknown = await _attempts(client, "081299998888", clock)
    # Two free failures, then a second's wait, then the lock; the same for a number with no
    # account, so the answers do not tell which numbers exist.
    assert known == [401, (401, None), 401, (429, "1"), 401, (429, "900")]
    assert unknown == known


async def test_one_address_guessing_many_numbers_is_slowed_down(
    service: Service, clock: Clock
) -> None:
    limits = {"address_free_failures": 3, "address_lock_after": 5}
    async with service(**limits) as client:
        for n in range(3):
            answer = await sign_in(client, f"08129999{n:04d}", "salah-sekali-123")
            assert answer.status_code == 401
        answer = await sign_in(client, "081277776666", "salah-sekali-123")
        assert answer.status_code == 401  # the fourth failure: a wait from now on
        fresh = await sign_in(client, "081255554444", "salah-sekali-123")
        assert fresh.status_code == 429 and fresh.headers["retry-after"] == "1"


async def test_refresh_rotates_and_a_spent_token_revokes_its_whole_session(
    service: Service,
) -> None:
    async with service() as client:
        await activated(client)
        first = (await sign_in(client)).json()
        other = (await sign_in(client)).json()  # another device, another session

        async def refresh(token: str) -> httpx.Response:
            return await client.post("/v1/auth/refresh", json={"refresh_token": token})

        second = await refresh(first["refresh_token"])
        assert second.status_code == 200
        assert second.json()["session_id"] == first["session_id"]
        assert second.json()["refresh_token"] != first["refresh_token"]
        third = await refresh(second.json()["refresh_token"])
        assert third.status_code == 200

        reused = await refresh(first["refresh_token"])  # a copy of a spent token
        assert reused.status_code == 401
        assert "used before" in reused.json()["detail"]
        # ... and the live token of that session is dead too.
        live = await refresh(third.json()["refresh_token"])
        assert live.status_code == 401
        assert "signed out" in live.json()["detail"]
        # The other device's session is untouched.
        assert (await refresh(other["refresh_token"])).status_code == 200
        assert (await refresh("no-such-token")).status_code == 401


async def test_sign_out_ends_one_session_and_sign_out_all_every_one(service: Service) -> None:
    async with service() as client:
        account = await activated(client)
        sessions = [(await sign_in(client)).json() for _ in range(3)]
        out = await client.post(
            "/v1/auth/signout", json={"refresh_token": sessions[0]["refresh_token"]}
        )
        assert out.status_code == 204
        refreshed = [
            (
                await client.post("/v1/auth/refresh", json={"refresh_token": s["refresh_token"]})
            ).status_code
            for s in sessions
        ]
        assert refreshed == [401, 200, 200]

        everywhere = await client.post("/v1/auth/signout-all", headers=token_for(account))
        assert everywhere.status_code == 200
        # The activation's session and two sign-ins were live (the refreshed two rotated).
        assert everywhere.json() == {"ended": 3}
        runtime = runtime_of_app(client.app)  # type: ignore[attr-defined]
        live = await runtime.database.views.find(FAMILIES, {"revoked": False})
        assert live == []
        assert (await client.post("/v1/auth/signout-all")).status_code == 401


async def test_a_password_change_needs_the_current_one_and_ends_every_other_session(
    service: Service,
) -> None:
    async with service() as client:
        account = await activated(client)
        before = (await sign_in(client)).json()
        headers = token_for(account)

        async def change(current: str, new: str, **extra: str) -> httpx.Response:
            return await client.post(
                "/v1/auth/password",
                json={"current_password": current, "new_password": new},
                headers={**headers, **extra},
            )

        assert (await change("999999", "kopi susu di pos ronda")).status_code == 403
        weak = await change(PIN, "123456", **INDONESIAN)
        assert weak.status_code == 422
        assert weak.json()["title"] == "Permintaan tidak valid"
        assert "mudah ditebak" in weak.json()["detail"]
        assert weak.json()["errors"][0]["pointer"] == "/body/new_password"
        assert (await sign_in(client)).status_code == 200  # the refusals changed nothing

        changed = await change(PIN, "kopi susu di pos ronda")
        assert changed.status_code == 200
        old = await client.post("/v1/auth/refresh", json={"refresh_token": before["refresh_token"]})
        assert old.status_code == 401
        assert (await sign_in(client, password=PIN)).status_code == 401
        assert (await sign_in(client, password="kopi susu di pos ronda")).status_code == 200
        new = changed.json()["refresh_token"]
        assert (
            await client.post("/v1/auth/refresh", json={"refresh_token": new})
        ).status_code == 200


async def test_an_ended_post_takes_access_away_at_once(service: Service) -> None:
    async with service() as client:
        account = await activated(client)
        session = (await sign_in(client)).json()
        headers = token_for(account)
        assert (await client.get("/v1/accounts/me", headers=headers)).status_code == 200

        not_admin = await client.post(f"/v1/accounts/{account['id']}/posts/end", headers=headers)
        assert not_admin.status_code == 403
        ended = await client.post(f"/v1/accounts/{account['id']}/posts/end", headers=ADMIN)
        assert ended.status_code == 200
        assert ended.json()["post"] is None
        assert ended.json()["past_posts"][0]["wilayah"] == RT
        assert ended.json()["past_posts"][0]["end"] is not None

        me = await client.get("/v1/accounts/me", headers=headers, params={})
        assert me.status_code == 401
        refreshed = await client.post(
            "/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert refreshed.status_code == 401
        again = await sign_in(client)
        assert again.status_code == 403
        missing = await client.post(
            "/v1/accounts/00000000-0000-4000-8000-000000000000/posts/end", headers=ADMIN
        )
        assert missing.status_code == 404


async def test_a_new_post_starts_only_once_the_old_one_has_ended(service: Service) -> None:
    """An RT head elected lurah: the RT post ends, the kelurahan's starts, and the next
    sign-in's token names the new post."""
    async with service() as client:
        account = await activated(client)
        posts = f"/v1/accounts/{account['id']}/posts"
        lurah = {"role": "lurah", "wilayah": KELURAHAN}
        assert (await client.post(posts, json=lurah, headers=token_for(account))).status_code == 403
        held = await client.post(posts, json=lurah, headers=ADMIN)
        assert held.status_code == 409, held.text
        await client.post(f"{posts}/end", headers=ADMIN)
        wrong_level = await client.post(
            posts, json={"role": "lurah", "wilayah": RT}, headers={**ADMIN, **INDONESIAN}
        )
        assert wrong_level.status_code == 422, wrong_level.text
        assert "jabatan lurah" in wrong_level.text
        missing = await client.post(
            "/v1/accounts/00000000-0000-4000-8000-000000000000/posts", json=lurah, headers=ADMIN
        )
        assert missing.status_code == 404

        started = await client.post(posts, json=lurah, headers=ADMIN)
        assert started.status_code == 201, started.text
        assert started.json()["post"]["wilayah"] == KELURAHAN
        assert started.json()["past_posts"][0]["wilayah"] == RT
        token = (await sign_in(client)).json()["access_token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["role"], claims["wilayah"]) == ("lurah", KELURAHAN)


@pytest.mark.parametrize(
    ("body", "status", "pointer", "indonesian"),
    [
        ({"phone": "12345"}, 422, "/phone", "bukan nomor telepon Indonesia"),
        ({"email": "siti"}, 422, "/email", "bukan alamat email"),
        ({"role": "lurah", "wilayah": RT}, 422, "/wilayah", "bukan kelurahan"),
        ({"wilayah": "16.73.02.1019/999"}, 422, "/wilayah", "tidak ada dalam direktori"),
        ({"role": "admin", "wilayah": KELURAHAN}, 422, "/wilayah", "tidak untuk wilayah"),
        ({"phone": "0812-1111-2222"}, 409, None, "sudah memiliki akun"),
    ],
)
async def test_bad_accounts_are_refused_in_indonesian_and_change_nothing(
    service: Service, body: dict[str, Any], status: int, pointer: str | None, indonesian: str
) -> None:
    async with service() as client:
        await create(client, "0812-1111-2222")
        request = {"name": "Budi", "phone": "0813-2222-3333", "role": "ketua_rt", "wilayah": RT}
        answer = await client.post(
            "/v1/accounts", json={**request, **body}, headers={**ADMIN, **INDONESIAN}
        )
        assert answer.status_code == status, answer.text
        assert indonesian in answer.json()["detail"]
        if pointer:
            assert answer.json()["errors"][0]["pointer"] == f"/body{pointer}"
        runtime = runtime_of_app(client.app)  # type: ignore[attr-defined]
        assert await runtime.database.views.count(ACCOUNTS) == 1
        assert await runtime.database.views.count(PHONES) == 1


async def test_only_an_admin_creates_accounts(service: Service) -> None:
    async with service() as client:
        answer = await client.post(
            "/v1/accounts",
            json={"name": "Budi", "phone": "081322223333", "role": "ketua_rt", "wilayah": RT},
            headers=bearer("lurah", KELURAHAN),
        )
        assert answer.status_code == 403


async def test_an_activation_code_works_once_and_not_after_it_expires(
    service: Service, clock: Clock
) -> None:
    async with service() as client:
        created = await create(client, "0812-3456-7890")
        code = created["activation_code"]

        async def activate(password: str, phone: str = "081234567890") -> httpx.Response:
            return await client.post(
                "/v1/auth/activate",
                json={"phone": phone, "code": code, "password": password},
                headers=INDONESIAN,
            )

        weak = await activate("111111")
        assert weak.status_code == 422 and "mudah ditebak" in weak.json()["detail"]
        other_number = await activate(PIN, "081299998888")
        assert other_number.status_code == 401
        assert other_number.json()["title"] == "Aktivasi gagal"
        assert (await activate(PIN)).status_code == 200  # the refusals spent nothing
        assert (await activate("590173")).status_code == 401  # once only

        late = await create(client, "0813-2222-3333")
        clock.advance(hours=72)
        expired = await client.post(
            "/v1/auth/activate",
            json={"phone": "081322223333", "code": late["activation_code"], "password": PIN},
        )
        assert expired.status_code == 401


async def test_a_rotated_key_stays_published_until_its_tokens_have_expired(
    service: Service, clock: Clock
) -> None:
    async with service() as client:
        await activated(client)
        before = (await sign_in(client)).json()["access_token"]
        context = runtime_of_app(client.app).context  # type: ignore[attr-defined]
        await handlers.rotate_signing_key(context)
        after = (await sign_in(client)).json()["access_token"]
        old_kid = jwt.get_unverified_header(before)["kid"]
        new_kid = jwt.get_unverified_header(after)["kid"]
        assert old_kid != new_kid

        during = (await client.get("/.well-known/jwks.json")).json()
        assert {key["kid"] for key in during["keys"]} == {old_kid, new_kid}
        keys = jwt.PyJWKSet.from_dict(during)
        for token in (before, after):
            kid = jwt.get_unverified_header(token)["kid"]
            jwt.decode(
                token,
                keys[kid].key,
                algorithms=["RS256"],
                audience="sipokat",
                options={"verify_exp": False},
            )

        clock.advance(minutes=10 + 5)  # the old key's last token has expired, and the leeway
        later = (await client.get("/.well-known/jwks.json")).json()
        assert [key["kid"] for key in later["keys"]] == [new_kid]


async def test_the_signing_key_is_replaced_once_it_is_old(service: Service, clock: Clock) -> None:
    async with service(signing_key_days=90) as client:
        await activated(client)
        first = jwt.get_unverified_header((await sign_in(client)).json()["access_token"])["kid"]
        clock.advance(days=91)
        second = jwt.get_unverified_header((await sign_in(client)).json()["access_token"])["kid"]
        assert first != second
        published = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
        assert published == {first, second}


@asynccontextmanager
async def structlog_capture(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[Any]]:
    """What the handlers log. Their module logger caches its configuration on first use (the
    runtime's `cache_logger_on_first_use`): a fresh one is made inside the capture."""
    with structlog.testing.capture_logs() as logs:
        for module in (handler_keys, handler_sessions, handler_accounts):
            monkeypatch.setattr(module, "log", structlog.get_logger(module.__name__))
        yield logs


async def test_no_secret_is_stored_in_the_clear_or_logged(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with service() as client, structlog_capture(monkeypatch) as logs:
        created = await create(client, "0812-3456-7890")
        await client.post(
            "/v1/auth/activate",
            json={"phone": "081234567890", "code": created["activation_code"], "password": PIN},
        )
        tokens = (await sign_in(client)).json()
        await sign_in(client, password="salah-sekali-123")
        runtime = runtime_of_app(client.app)  # type: ignore[attr-defined]
        views = runtime.database.views
        stored = json.dumps(
            [
                await views.find(collection, limit=1000)
                for collection in (ACCOUNTS, FAMILIES, REFRESH_TOKENS)
            ]
        )
        keys = await views.find(SIGNING_KEYS)
    logged = json.dumps(logs, default=str)
    assert "identity.signed_in" in logged and "identity.sign_in_failed" in logged
    secrets = [PIN, created["activation_code"], tokens["refresh_token"], "salah-sekali-123"]
    for secret in secrets:
        assert secret not in stored
        assert secret not in logged
    assert "$argon2id$" in stored
    assert "+6281234567890" not in logged  # nor the phone number
    assert len(keys) == 1


async def test_every_write_is_safe_when_the_store_runs_its_effect_again(
    tmp_path: Path, clock: Clock
) -> None:
    # MongoDB may abort a transaction and run its effect again: each effect here first runs
    # into a transaction that is thrown away, then for real, and the flows answer as before.
    app = rerun_effects_app(IdentitySettings(data_dir=tmp_path), clock)
    runtime = runtime_of_app(app)
    async with service_client(app) as client:
        assert isinstance(runtime.database.views, RerunEffects)
        account = await activated(client)
        first = (await sign_in(client)).json()
        second = await client.post(
            "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert second.status_code == 200
        reused = await client.post(
            "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert "used before" in reused.json()["detail"]
        await handlers.rotate_signing_key(runtime.context)
        assert len((await client.get("/.well-known/jwks.json")).json()["keys"]) == 2
        ended = await client.post(f"/v1/accounts/{account['id']}/posts/end", headers=ADMIN)
        assert ended.json()["post"] is None and len(ended.json()["past_posts"]) == 1
        assert await runtime.database.views.count(FAMILIES, {"revoked": False}) == 0
        assert runtime.database.views.reruns.rehearsed > 0  # type: ignore[attr-defined]
