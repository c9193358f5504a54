"""The gateway routes the rest of /v1 to the service that owns it.

Each upstream verifies the bearer token itself; the gateway forwards it with the correlation id.
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request, Response

from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.problems import Problem

router = APIRouter(include_in_schema=False)

# Request headers worth passing on; hop-by-hop and host headers are not.
_FORWARDED = ("authorization", "accept", "accept-language", "content-type", "x-correlation-id")
_RETURNED = ("content-type", "location", "retry-after", "cache-control", "etag")

ROUTES: list[tuple[str, str]] = [
    # (path prefix, upstream setting); the first match wins
    ("/v1/verification/", "verification_url"),
    ("/v1/reports/", "verification_url"),  # a report's status and decisions
    ("/v1/analytics/", "analytics_url"),
    ("/v1/notifications/", "notification_url"),
]


def upstream_for(path: str, settings: IntakeSettings) -> str | None:
    for prefix, setting in ROUTES:
        if path.startswith(prefix):
            return str(getattr(settings, setting))
    return None


@router.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def forward(request: Request, rest: str) -> Response:
    settings: IntakeSettings = request.app.state.runtime.settings
    upstream = upstream_for(request.url.path, settings)
    if upstream is None:
        raise Problem(404, "Not found", f"no route for {request.url.path}")
    client: httpx.AsyncClient = request.app.state.upstream_client
    headers = {k: v for k, v in request.headers.items() if k in _FORWARDED}
    headers["x-correlation-id"] = request.state.correlation_id
    try:
        answer = await client.request(
            request.method,
            upstream + request.url.path,
            params=request.query_params,
            content=await request.body(),
            headers=headers,
        )
    except httpx.HTTPError as exc:
        raise Problem(
            502, "Bad gateway", f"{upstream} did not answer: {exc.__class__.__name__}"
        ) from exc
    return Response(
        answer.content,
        status_code=answer.status_code,
        headers={k: v for k, v in answer.headers.items() if k in _RETURNED},
    )
