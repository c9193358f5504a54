"""The first admin: a code made on the host (as the launcher and `sipokat accounts first-admin`
do, through identity's own SQLite store), claimed over HTTP with a name, a phone number and a
password; made once, spent once, replaced at the next start until claimed, never made again
once an admin exists, and never logged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import structlog

from sipokat.identity.bootstrap import create_app
from sipokat.identity.entrypoints import host
from sipokat.identity.handlers import IdentityContext
from sipokat.identity.handlers import firstrun as handler_firstrun
from sipokat.identity.handlers import sessions as handler_sessions
from sipokat.identity.handlers.firstrun import (
    ADMIN_CODES,
    FIRST_ADMIN,
    FIRST_RUN,
    demo_admin_code,
    first_admin_code,
    host_admin_code,
)
from sipokat.identity.queries import ACCOUNTS
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.testing import runtime_of_app, service_client

PASSWORD = "kopi-tubruk-pagi"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


Started = tuple[httpx.AsyncClient, IdentityContext]
Service = Callable[[], AbstractAsyncContextManager[Started]]


@pytest.fixture
def settings(tmp_path: Path) -> IdentitySettings:
    return IdentitySettings(data_dir=tmp_path, store_backend="sqlite")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(settings: IdentitySettings, clock: Clock) -> Service:
    """Identity on its real SQLite store in the test's folder; each use is a (re)start."""

    @asynccontextmanager
    async def run() -> AsyncIterator[Started]:
        app = create_app(settings, clock=clock)
        async with service_client(app) as client:
            yield client, runtime_of_app(app).context

    return run


async def claim(
    client: httpx.AsyncClient, code: str, phone: str = "0812-3456-7890", **body: Any
) -> httpx.Response:
    return await client.post(
        "/v1/auth/first-admin",
        json={"code": code, "name": "Admin Kota", "phone": phone, "password": PASSWORD, **body},
    )


async def test_the_first_admin_claims_the_printed_code_once(
    service: Service, settings: IdentitySettings
) -> None:
    # What the launcher does at the start of an empty data folder, beside the running service.
    async with service() as (client, context):
        made = await host.first_run_code(settings)
        assert made is not None and made.slot == "first-run"
        assert len(made.code.replace("-", "")) == 12
        expires_in = made.expires - datetime.now(UTC)
        assert timedelta(hours=23) < expires_in <= timedelta(hours=24)

        answer = await claim(client, made.code.lower().replace("-", " "))  # read aloud, typed
        assert answer.status_code == 201, answer.text
        assert answer.headers["cache-control"] == "no-store"
        tokens = answer.json()
        assert jwt.get_unverified_header(tokens["access_token"])["alg"] == "RS256"
        keys = jwt.PyJWKSet.from_dict((await client.get("/.well-known/jwks.json")).json())
        claims = jwt.decode(
            tokens["access_token"], keys.keys[0], algorithms=["RS256"], audience="sipokat"
        )
        assert claims["role"] == "admin" and "wilayah" not in claims
        account = await context.database.views.get(ACCOUNTS, claims["sub"])
        assert account is not None and account["phone"] == "+6281234567890"
        assert account["post"]["role"] == "admin" and account["password_hash"]
        # The first admin's post is an event, as every post is.
        started = [e.envelope for e in await context.database.events.read_from(0, 100)]
        assert [(e.type, e.stream_id) for e in started] == [
            ("PostStarted", f"account-{claims['sub']}")
        ]

        # Spent: the same code makes nobody else an admin.
        again = await claim(client, made.code, phone="0812-9999-0001")
        assert again.status_code == 401
        # The admin signs in with the password they chose.
        signin = await client.post(
            "/v1/auth/signin", json={"phone": "081234567890", "password": PASSWORD}
        )
        assert signin.status_code == 200

    # The next start makes no code: an admin exists.
    assert await host.first_run_code(settings) is None


async def test_an_unclaimed_code_is_replaced_at_the_next_start(
    service: Service, settings: IdentitySettings
) -> None:
    first = await host.first_run_code(settings)
    second = await host.first_run_code(settings)  # the platform restarted, nobody claimed
    assert first is not None and second is not None and first.code != second.code
    async with service() as (client, _):
        assert (await claim(client, first.code)).status_code == 401
        assert (await claim(client, second.code)).status_code == 201


async def test_an_expired_code_works_no_more_and_the_next_start_makes_a_new_one(
    service: Service, clock: Clock
) -> None:
    async with service() as (client, context):
        made = await first_admin_code(context)
        assert made is not None
        clock.now += timedelta(hours=24)
        assert (await claim(client, made.code)).status_code == 401
        fresh = await first_admin_code(context)
        assert fresh is not None
        assert (await claim(client, fresh.code)).status_code == 201


async def test_bad_input_changes_nothing_and_the_code_still_works(service: Service) -> None:
    async with service() as (client, context):
        made = await first_admin_code(context)
        assert made is not None
        weak = await claim(client, made.code, password="123456")
        assert weak.status_code == 422
        assert weak.json()["errors"][0]["pointer"] == "/body/password"
        not_a_number = await claim(client, made.code, phone="12")
        assert not_a_number.status_code == 422
        indonesian = await client.post(
            "/v1/auth/first-admin",
            json={
                "code": "WRONG-CODE-HERE",
                "name": "A",
                "phone": "0812-3456-7890",
                "password": PASSWORD,
            },
            headers={"Accept-Language": "id"},
        )
        assert indonesian.status_code == 401 and "kode salah" in indonesian.json()["detail"]
        assert await context.database.views.count(ACCOUNTS) == 0
        assert (await claim(client, made.code)).status_code == 201


async def test_once_an_admin_exists_the_host_makes_codes_for_more_admins_only(
    service: Service,
) -> None:
    async with service() as (client, context):
        first = await host_admin_code(context)  # no admin yet: the first-run code
        assert first.slot == "first-run"
        assert (await claim(client, first.code)).status_code == 201
        assert await first_admin_code(context) is None
        more = await host_admin_code(context)
        assert more.slot == "host"
        taken = await claim(client, more.code)  # the first admin's number
        assert taken.status_code == 409
        assert (await claim(client, more.code, phone="0812-3456-7891")).status_code == 201
        assert await context.database.views.get(ADMIN_CODES, "host") is None
        recorded = await context.database.views.get(FIRST_RUN, FIRST_ADMIN)
        assert recorded is not None
        assert await first_admin_code(context) is None


async def test_the_demos_admin_leaves_the_first_run_code_to_the_person(service: Service) -> None:
    async with service() as (client, context):
        printed = await first_admin_code(context)
        demo = await demo_admin_code(context)
        assert printed is not None and demo.slot == "demo"
        assert (await claim(client, demo.code, phone="0812-9000-0000")).status_code == 201
        assert await context.database.views.get(FIRST_RUN, FIRST_ADMIN) is None
        # The code the launcher printed still works; the next start would print a new one.
        assert (await claim(client, printed.code)).status_code == 201
        assert await first_admin_code(context) is None


async def test_claims_are_throttled_like_sign_in(service: Service) -> None:
    async with service() as (client, context):
        made = await first_admin_code(context)
        assert made is not None
        free = context.settings.signin_free_failures
        answers = [(await claim(client, f"WRONG-CODE-{n:04d}")).status_code for n in range(free)]
        assert answers == [401] * free
        # One more wrong code starts the wait; then even the right one waits.
        assert (await claim(client, "WRONG-CODE-LAST")).status_code == 401
        waiting = await claim(client, made.code)
        assert waiting.status_code == 429 and "retry-after" in waiting.headers


async def test_no_code_reaches_the_logs(
    service: Service, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The service logs JSON lines to its standard output (what `make run` sends to files).
    # Module loggers cache their configuration on first use: fresh ones write to this capture.
    for module in (handler_firstrun, handler_sessions):
        monkeypatch.setattr(module, "log", structlog.get_logger(module.__name__))
    async with service() as (client, context):
        made = await first_admin_code(context)
        assert made is not None
        assert (await claim(client, made.code)).status_code == 201
    said = capsys.readouterr().out
    assert "identity.admin_code_issued" in said and "identity.admin_claimed" in said
    assert made.code not in said and made.code.replace("-", "") not in said
    assert PASSWORD not in said and "+6281234567890" not in said
