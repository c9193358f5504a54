"""Wires the analytics service: read models fed by every report event, the API, Open311, the
pages."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from sipokat.analytics import handlers, queries
from sipokat.analytics.entrypoints import api, open311, pages, public
from sipokat.analytics.handlers import AnalyticsContext
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.runtime.service import ServiceRuntime, Subscription, create_service_app
from sipokat.wilayah import load_default_directory

BINDINGS = ["report.#"]


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()

    @contextlib.asynccontextmanager
    async def context(
        runtime: ServiceRuntime[AnalyticsContext],
    ) -> AsyncIterator[AnalyticsContext]:
        database, directory = runtime.database, load_default_directory()
        yield AnalyticsContext(
            settings=settings,
            database=database,
            directory=directory,
            reader=queries.Reader(database.views, directory, settings.fund_allocation_per_rt_year),
            views_rebuild=runtime.rebuilds[queries.FOLDED.name],
        )

    runtime = ServiceRuntime(
        "analytics",
        settings,
        context=context,
        subscription=Subscription(
            BINDINGS,
            lambda c: handlers.live_handler(c.database, c.views_rebuild),
            lambda c: handlers.live_batch_handler(c.database, c.views_rebuild),
        ),
    )
    runtime.add_log_view(handlers.VIEW)
    app = create_service_app(
        runtime,
        [api.router, public.router, open311.router, pages.router],
        title="Sipokat analytics",
    )
    app.mount("/dashboard/static", pages.STATIC, name="dashboard-static")
    return app
