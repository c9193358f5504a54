"""Wires the intake gateway: settings, runtime, its context (the HTTP client, the photo store and
decoding threads, the idempotency keys), limits, routes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from sipokat.intake.adapters.attachments import attachment_store
from sipokat.intake.adapters.decoding import PhotoDecoding
from sipokat.intake.adapters.idempotency import IdempotencyKeys
from sipokat.intake.adapters.upstream import VerificationEvents
from sipokat.intake.entrypoints import (
    apidocs,
    attachments,
    client_app,
    compression,
    config,
    contracts,
    errors,
    forwarded,
    gateway,
    reports,
    wilayah,
)
from sipokat.intake.handlers import IntakeContext, made_by, record_decisions
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.service import ServiceRuntime, Subscription, create_service_app
from sipokat.wilayah import Directory

# Verification's events of a report; intake's own (submitted, revised) it has already.
DECISIONS = ("report.approved.#", "report.rejected.#", "report.verified", "report.overdue.#")

DESCRIPTION = """\
**Bahasa Indonesia.** API publik Sipokat, seluruhnya lewat gateway ini (satu origin). Ketua RT
mengirim laporan (`POST /v1/reports`) dan foto (`POST /v1/attachments`) dan merevisi laporan
yang ditolak; lurah, camat dan pemkot memverifikasi (`/v1/verification/...`); semua orang bisa
melihat direktori wilayah (`/v1/wilayah`). Masuk dengan `POST /v1/auth/signin`, lalu kirim
`Authorization: Bearer <access_token>` pada setiap panggilan lain. Galat berupa problem details
RFC 9457, dalam bahasa Indonesia dengan `Accept-Language: id`. Panduan aplikasi klien:
`docs/client-app-api.md`.

**English.** Sipokat's public API, all through this gateway (one origin). RT heads submit
reports (`POST /v1/reports`) and photos (`POST /v1/attachments`) and revise rejected reports;
lurah, camat and the city office verify (`/v1/verification/...`); everyone browses the
directory of areas (`/v1/wilayah`). Sign in with `POST /v1/auth/signin`, then send
`Authorization: Bearer <access_token>` with every other call. Errors are RFC 9457 problem
details, in Indonesian with `Accept-Language: id`. The client-app guide:
`docs/client-app-api.md`.

Each operation the gateway passes on is marked `x-sipokat-upstream` with the service that
answers it / setiap operasi yang diteruskan ditandai dengan layanan yang menjawabnya:

| path | service |
| --- | --- |
| `POST /v1/reports`, `/v1/reports/{id}/revisions`, `/v1/attachments`, `/v1/wilayah` | intake |
| `GET /v1/reports...`, `POST /v1/reports/{id}/decisions`, `/v1/verification/...` | verification |
| `/v1/analytics/...`, `/dashboard...`, `/v1/public/...`, `/public...`, `/open311/...` | analytics |
| `/v1/notifications/...` (SSE at `/v1/notifications/stream`), `/v1/webhooks/...` | notification |
| `/v1/auth/...`, `/v1/accounts/...`, `/.well-known/jwks.json` | identity |

Tokens are the access tokens of a sign-in (RS256, keys at `/.well-known/jwks.json`) or of the
city's own identity provider (roles ketua_rt, lurah, camat, pemkot, admin, integrator with their
wilayah claim). Send an `Idempotency-Key` when posting a report from a flaky network: a retry
gets the first answer and never makes a second report. `/health/...` and `/ops/...` are the
gateway process's own, for operators.
"""


def create_app(
    settings: IntakeSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`transport` carries the gateway's requests to the other services (httpx's own by
    default): a test may answer for them."""
    settings = settings or IntakeSettings()
    directory: Directory | None = None  # the app's, once made below; the context starts later

    @contextlib.asynccontextmanager
    async def context(runtime: ServiceRuntime[IntakeContext]) -> AsyncIterator[IntakeContext]:
        assert directory is not None
        database = runtime.database
        decoding = PhotoDecoding(settings.photo_decode_budget_bytes, settings.photo_decode_threads)
        async with (
            httpx.AsyncClient(transport=transport) as client,
            contextlib.aclosing(decoding),
        ):
            yield IntakeContext(
                settings=settings,
                directory=directory,
                database=database,
                append=runtime.append,
                photos=attachment_store(database),
                decoding=decoding,
                idempotency_keys=IdempotencyKeys(
                    database.views,
                    ttl_seconds=settings.idempotency_ttl_seconds,
                    lease_seconds=settings.idempotency_lease_seconds,
                    owns=made_by(database),
                ),
                upstream=client,
                api_documents=apidocs.upstream_documents(client, settings),
                verification=VerificationEvents(
                    client,
                    settings.verification_url,
                    httpx.Timeout(
                        settings.upstream_timeout_seconds,
                        connect=settings.upstream_connect_timeout_seconds,
                    ),
                ),
            )

    runtime = ServiceRuntime(
        "intake",
        settings,
        context=context,
        publishes=True,
        subscription=Subscription(DECISIONS, lambda c: record_decisions(c.database)),
    )
    app = create_service_app(
        runtime,
        [
            reports.router,
            config.router,
            contracts.router,
            attachments.router_for(settings),
            wilayah.router_for(settings.max_page_size),
            forwarded.router,
            client_app.router_for(settings),
            apidocs.router,
            # The catch-all gateway routes go last, after intake's own routes.
            gateway.router,
        ],
        title="Sipokat API",
        description=DESCRIPTION,
        # /openapi.json is the merged document (entrypoints/apidocs.py), which /docs shows.
        openapi_url=None,
        docs_document=apidocs.PATH,
        # a photo plus the multipart framing around it
        body_limits=[
            ("/v1/attachments", settings.max_photo_bytes + 64 * 1024),
            ("/v1/accounts/roster", settings.max_roster_bytes),  # forwarded to identity
        ],
        # The app's static files: a phone's first load fetches several at once, and many phones
        # share a kelurahan office's address.
        rate_limit_exempt=[prefix + "/" for prefix in client_app.PREFIXES],
    )
    errors.install(app)
    # Outermost: every answer, the gateway's own and those it forwards, problems included.
    app.add_middleware(compression.CompressionMiddleware)
    # The directory tokens are checked against (create_service_app's): the routes' too.
    directory = app.state.directory
    return app
