"""Wires the intake gateway: settings, runtime, routes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from sipokat.intake.entrypoints import gateway, reports
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.service import ServiceRuntime, create_service_app


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime("intake", settings, publishes=True)
    app = create_service_app(
        runtime,
        # The catch-all gateway route goes last, after intake's own routes.
        [reports.router, gateway.router],
        title="Sipokat intake gateway",
        description="Submissions from RT heads; routes the rest of /v1 to the other services.",
    )
    service_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=10) as client:
            app.state.upstream_client = client
            async with service_lifespan(app):
                yield

    app.router.lifespan_context = lifespan
    return app
