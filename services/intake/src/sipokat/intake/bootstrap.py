"""Wires the intake gateway: settings, runtime, limits, routes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from sipokat.intake.attachments import open_attachment_store
from sipokat.intake.decoding import PhotoDecoding
from sipokat.intake.entrypoints import attachments, contracts, errors, gateway, reports, wilayah
from sipokat.intake.handlers import Intake, made_by, record_decisions
from sipokat.intake.idempotency import IdempotencyKeys
from sipokat.intake.settings import IntakeSettings
from sipokat.intake.upstream import VerificationEvents
from sipokat.runtime.service import (
    ServiceRuntime,
    Subscription,
    create_service_app,
    database_context,
)

# Verification's events of a report; intake's own (submitted, revised) it has already.
DECISIONS = ("report.approved.#", "report.rejected.#", "report.verified", "report.overdue.#")

DESCRIPTION = """\
The one public entry of Sipokat. RT heads submit reports (`POST /v1/reports`), upload photos
(`POST /v1/attachments`) and revise rejected reports; everyone browses the directory of areas
(`/v1/wilayah`). Every other route is passed to the service that owns it:

| path | service |
| --- | --- |
| `GET /v1/reports/{id}`, `POST /v1/reports/{id}/decisions`, `/v1/verification/...` | verification |
| `/v1/analytics/...`, `/dashboard...`, `/v1/public/...`, `/public...`, `/open311/...` | analytics |
| `/v1/notifications/...` (SSE at `/v1/notifications/stream`), `/v1/webhooks/...` | notification |

Authenticate with `Authorization: Bearer <JWT>` (roles ketua_rt, lurah, camat, pemkot, admin,
integrator with their wilayah claim). Errors are RFC 9457 problem details, in Indonesian with
`Accept-Language: id`. Send an `Idempotency-Key` when posting a report from a flaky network:
a retry gets the first answer and never makes a second report.
"""


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime(
        "intake",
        settings,
        context=database_context,
        publishes=True,
        subscription=Subscription(DECISIONS, record_decisions),
    )
    app = create_service_app(
        runtime,
        [
            reports.router,
            contracts.router,
            attachments.router_for(settings),
            wilayah.router_for(settings.max_page_size),
            # The catch-all gateway routes go last, after intake's own routes.
            gateway.router,
        ],
        title="Sipokat intake gateway",
        description=DESCRIPTION,
        # a photo plus the multipart framing around it
        body_limits=[("/v1/attachments", settings.max_photo_bytes + 64 * 1024)],
    )
    errors.install(app)
    directory = app.state.directory
    service_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        decoding = PhotoDecoding(settings.photo_decode_budget_bytes, settings.photo_decode_threads)
        async with (
            httpx.AsyncClient() as client,
            service_lifespan(app),
            contextlib.aclosing(decoding),
        ):
            app.state.upstream_client = client
            app.state.verification_events = VerificationEvents(
                client,
                settings.verification_url,
                httpx.Timeout(
                    settings.upstream_timeout_seconds,
                    connect=settings.upstream_connect_timeout_seconds,
                ),
            )
            database = runtime.database
            app.state.intake = Intake(
                runtime, settings, directory, open_attachment_store(settings, database), decoding
            )
            app.state.idempotency_keys = IdempotencyKeys(
                database.views,
                ttl_seconds=settings.idempotency_ttl_seconds,
                lease_seconds=settings.idempotency_lease_seconds,
                owns=made_by(database),
            )
            yield

    app.router.lifespan_context = lifespan
    return app
