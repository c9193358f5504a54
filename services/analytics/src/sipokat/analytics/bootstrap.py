"""Wires the analytics service: read models fed by every report event."""

from __future__ import annotations

from fastapi import FastAPI

from sipokat.analytics import views
from sipokat.analytics.entrypoints import http
from sipokat.events.projection import projection_handler
from sipokat.runtime.service import ServiceRuntime, Subscription, create_service_app
from sipokat.runtime.settings import ServiceSettings

BINDINGS = ["report.#"]


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        "analytics",
        settings or ServiceSettings(),
        subscription=Subscription(BINDINGS, lambda db: projection_handler(db.views, views.project)),
    )
    return create_service_app(runtime, [http.router], title="Sipokat analytics")
