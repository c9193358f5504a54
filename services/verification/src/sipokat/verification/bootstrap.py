"""Wires the verification service: its status view, fed by intake's events."""

from __future__ import annotations

from fastapi import FastAPI

from sipokat.events.projection import projection_handler
from sipokat.runtime.service import ServiceRuntime, Subscription, create_service_app
from sipokat.runtime.settings import ServiceSettings
from sipokat.verification import views
from sipokat.verification.entrypoints import http

BINDINGS = ["report.submitted", "report.revised"]


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        "verification",
        settings or ServiceSettings(),
        publishes=True,
        subscription=Subscription(BINDINGS, lambda db: projection_handler(db.views, views.project)),
    )
    return create_service_app(runtime, [http.router], title="Sipokat verification")
