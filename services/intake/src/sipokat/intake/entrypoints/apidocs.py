"""GET /openapi.json: the whole public API in one document, for client-app developers.

The gateway's own operations and, for each path the gateway passes on, the upstream's own
operations as its `/openapi.json` describes them (`adapters/apidocs.py`,
`adapters/openapi_merge.py`). An upstream that cannot be reached leaves its part out and is
named under `x-sipokat-missing`: the document is still answered. `/docs` and `/redoc` show it
(`sipokat.runtime.apidocs`, no CDN).
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sipokat.intake.adapters.apidocs import UpstreamDocuments
from sipokat.intake.entrypoints.common import Intake
from sipokat.intake.entrypoints.gateway import ROUTES, setting_for
from sipokat.intake.settings import IntakeSettings

PATH = "/openapi.json"

router = APIRouter(include_in_schema=False)


def service_for(path: str) -> str | None:
    """The service the gateway passes `path` on to (`verification_url` → verification)."""
    setting = setting_for(path)
    return None if setting is None else setting.removesuffix("_url")


def upstream_documents(client: httpx.AsyncClient, settings: IntakeSettings) -> UpstreamDocuments:
    """Each upstream of the route table, fetched with the gateway's own client and timeouts."""
    services = {
        setting.removesuffix("_url"): str(getattr(settings, setting)).rstrip("/")
        for _, setting in ROUTES
    }
    return UpstreamDocuments(
        client,
        services,
        service_for,
        httpx.Timeout(
            settings.upstream_timeout_seconds, connect=settings.upstream_connect_timeout_seconds
        ),
        refresh_seconds=settings.openapi_refresh_seconds,
        retry_seconds=settings.openapi_retry_seconds,
    )


@router.get(PATH)
async def openapi(request: Request, context: Intake) -> JSONResponse:
    merged = await context.api_documents.merged(request.app.openapi())
    # Revalidated on every load: an upstream back up is in the next answer.
    return JSONResponse(merged, headers={"Cache-Control": "no-cache"})
