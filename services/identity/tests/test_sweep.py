"""The hourly sweep forgets what no request reads again (ended sessions with their refresh
tokens, failed attempts the window has forgotten) and nothing a request still needs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from identity_support import Clock

from sipokat.identity.bootstrap import create_app
from sipokat.identity.handlers.sweep import sweep
from sipokat.identity.queries import FAMILIES, REFRESH_TOKENS, THROTTLES
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.testing import bearer, in_memory, runtime_of_app, service_client

PHONE, PIN = "0812-3456-7890", "482915"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(IdentitySettings(data_dir=tmp_path), clock=Clock())
    in_memory(app)
    yield app


async def sign_in(client: httpx.AsyncClient, password: str = PIN) -> httpx.Response:
    return await client.post("/v1/auth/signin", json={"phone": PHONE, "password": password})


async def test_the_sweep_forgets_ended_sessions_and_old_failures_only(app: FastAPI) -> None:
    async with service_client(app) as client:
        clock: Clock = runtime_of_app(app).context.clock  # type: ignore[assignment]
        body = {
            "name": "Siti Rahma",
            "phone": PHONE,
            "role": "ketua_rt",
            "wilayah": "16.73.02.1019/007",
        }
        created = (
            await client.post("/v1/accounts", json=body, headers=bearer("admin", None))
        ).json()
        activation = {"phone": PHONE, "code": created["activation_code"], "password": PIN}
        first = (await client.post("/v1/auth/activate", json=activation)).json()
        second = (await sign_in(client)).json()
        await client.post("/v1/auth/signout", json={"refresh_token": first["refresh_token"]})
        rotated = (
            await client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
        ).json()
        assert (await sign_in(client, "salah-sekali-123")).status_code == 401
        views = runtime_of_app(app).database.views
        assert await views.count(FAMILIES) == 2 and await views.count(REFRESH_TOKENS) == 3
        assert await views.count(THROTTLES) == 2  # the number's and the address's

        context = runtime_of_app(app).context
        swept = await sweep(context)
        # The signed-out session and its token go; the live one keeps its spent token too,
        # as presenting that one again must still end the session.
        assert (swept.sessions, swept.refresh_tokens, swept.throttles) == (1, 1, 0)
        assert await views.count(FAMILIES) == 1 and await views.count(REFRESH_TOKENS) == 2
        gone = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert gone.status_code == 401

        clock.now += timedelta(minutes=61)  # past the throttling window
        assert (await sweep(context)).throttles == 2
        assert await views.count(THROTTLES) == 0
        live = await client.post(
            "/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
        )
        assert live.status_code == 200, live.text

        clock.now += timedelta(days=31)  # past the session's end
        swept = await sweep(context)
        assert (swept.sessions, swept.refresh_tokens) == (1, 3)
        assert await views.count(FAMILIES) == 0 and await views.count(REFRESH_TOKENS) == 0
        assert (await sign_in(client)).status_code == 200
