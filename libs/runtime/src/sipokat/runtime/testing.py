"""Test support for services: drive a service's app in-process, lifespan and all."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from sipokat.events.envelope import Role
from sipokat.runtime.auth import mint_token
from sipokat.runtime.service import ServiceRuntime
from sipokat.runtime.settings import ServiceSettings


@contextlib.asynccontextmanager
async def service_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, with its runtime (store, relay, consumer) started."""
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


def runtime_of_app(app: FastAPI) -> ServiceRuntime:
    runtime: ServiceRuntime = app.state.runtime
    return runtime


def bearer(
    role: Role | str, wilayah: str | None, settings: ServiceSettings | None = None
) -> dict[str, str]:
    """Authorization headers with a development token for `role` in `wilayah`."""
    token = mint_token(
        settings or ServiceSettings(), subject=f"{role}-{wilayah}", role=role, wilayah=wilayah
    )
    return {"Authorization": f"Bearer {token}"}
