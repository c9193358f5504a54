"""Wires the analytics service: read models fed by every report event, the API, Open311, the
pages."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from sipokat.analytics.entrypoints import api, open311, pages, public
from sipokat.analytics.queries import Reader
from sipokat.analytics.rebuild import VIEW, live_batch_handler, live_handler
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.runtime.service import (
    ServiceRuntime,
    Subscription,
    create_service_app,
    database_context,
)
from sipokat.wilayah import load_default_directory

BINDINGS = ["report.#"]


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    runtime = ServiceRuntime(
        "analytics",
        settings,
        context=database_context,
        subscription=Subscription(BINDINGS, live_handler, live_batch_handler),
    )
    runtime.add_log_view(VIEW)
    app = create_service_app(
        runtime,
        [api.router, public.router, open311.router, pages.router],
        title="Sipokat analytics",
    )
    app.mount("/dashboard/static", pages.STATIC, name="dashboard-static")
    runtime_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(app):
            database = runtime.database
            app.state.analytics_reader = Reader(
                database.views, load_default_directory(), settings.fund_allocation_per_rt_year
            )
            app.state.analytics_rebuilds = runtime.rebuilds[VIEW.name]
            yield

    app.router.lifespan_context = lifespan
    return app
