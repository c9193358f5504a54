"""The gateway routes the rest of the public API to the service that owns it.

Each upstream verifies the bearer token itself; the gateway forwards it with the correlation id.
Answers stream through as they come (server-sent events included, unbuffered; gzipped on the way
when the client takes it, entrypoints/compression.py); an upstream that
cannot be reached is a 502, one that does not answer in time a 504, both as problem details
naming the service, never its address; a browser opening a page gets them as a short page.
A known path asked with a method it does not take is a 405 with `Allow`, in the client's
language, whether the path is the gateway's own or an upstream's.
"""

from __future__ import annotations

import httpx
import structlog
from fastapi import APIRouter, Request, Response
from starlette.background import BackgroundTask
from starlette.responses import HTMLResponse, StreamingResponse

from sipokat.intake.entrypoints.common import Intake
from sipokat.intake.entrypoints.compression import MINIMUM_SIZE
from sipokat.intake.handlers import IntakeContext
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.messages import text
from sipokat.runtime.problems import Problem, allowed_methods

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)

# Request headers worth passing on; hop-by-hop and host headers are not.
_FORWARDED = (
    "authorization",
    "accept",
    "accept-encoding",
    "accept-language",
    "content-type",
    "cache-control",
    "if-none-match",
    "idempotency-key",
    "last-event-id",  # an SSE client resuming its stream
)
_RETURNED = (
    "content-type",
    "content-encoding",
    "content-language",
    "content-disposition",
    "location",
    "retry-after",
    "cache-control",
    "etag",
    "vary",
    "link",
    "www-authenticate",
    "idempotent-replayed",
)

# (path prefix, the setting naming its upstream): a prefix matches itself and what lies below it.
ROUTES: list[tuple[str, str]] = [
    ("/v1/reports", "verification_url"),  # a report's status, timeline and decisions
    ("/v1/verification", "verification_url"),
    ("/v1/analytics", "analytics_url"),
    ("/v1/public", "analytics_url"),
    ("/dashboard", "analytics_url"),
    ("/public", "analytics_url"),
    ("/open311", "analytics_url"),  # Open311 GeoReport v2, read only, no token
    ("/v1/notifications", "notification_url"),
    ("/v1/webhooks", "notification_url"),
    ("/v1/auth", "identity_url"),  # sign-in, refresh, sign-out: the identity service
    ("/v1/accounts", "identity_url"),
    ("/.well-known", "identity_url"),  # its JWKS, /.well-known/jwks.json
]
# Query parameters that size a page: capped here for every upstream alike.
_PAGE_PARAMETERS = ("limit", "page_size", "per_page")


def setting_for(path: str) -> str | None:
    """The setting naming the upstream of `path` (`verification_url`), if it is passed on."""
    for prefix, setting in ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return setting
    return None


def upstream_for(path: str, settings: IntakeSettings) -> str | None:
    setting = setting_for(path)
    return None if setting is None else str(getattr(settings, setting))


def wants_page(request: Request) -> bool:
    """A browser opening a page (the dashboard, the public page), not a script asking for data."""
    accept = request.headers.get("accept", "")
    return request.method == "GET" and "text/html" in accept


UNAVAILABLE_PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sedang tidak tersedia / Not available</title></head>
<body>
<main>
<h1>Halaman ini sedang tidak tersedia</h1>
<p>Layanan {service} {id_reason}. Coba muat ulang halaman ini sebentar lagi.</p>
<h2 lang="en">This page is not available right now</h2>
<p lang="en">The {service} service {en_reason}. Try reloading this page shortly.</p>
</main></body></html>
"""


def unavailable_page(service: str, timed_out: bool) -> HTMLResponse:
    reasons = (
        ("tidak menjawab tepat waktu", "did not answer in time")
        if timed_out
        else ("tidak dapat dihubungi", "could not be reached")
    )
    page = UNAVAILABLE_PAGE.format(service=service, id_reason=reasons[0], en_reason=reasons[1])
    return HTMLResponse(
        page,
        status_code=504 if timed_out else 502,
        headers={"Cache-Control": "no-store", "Retry-After": "30"},
    )


def is_event_stream(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "")


def is_small(answer: httpx.Response, request: Request) -> bool:
    """An answer of a known length under what is worth compressing (a HEAD's has no body)."""
    length = answer.headers.get("content-length", "")
    return request.method != "HEAD" and length.isdigit() and int(length) < MINIMUM_SIZE


def check_page_size(request: Request, settings: IntakeSettings) -> None:
    for name in _PAGE_PARAMETERS:
        value = request.query_params.get(name)
        if value is not None and value.isdigit() and int(value) > settings.max_page_size:
            most = settings.max_page_size
            raise Problem(
                400,
                "Page too large",
                text(
                    "{name} may be at most {most}",
                    "{name} paling banyak {most}",
                    name=name,
                    most=most,
                ),
                errors=[
                    {
                        "pointer": f"/query/{name}",
                        "detail": text("at most {most}", "paling banyak {most}", most=most),
                    }
                ],
            )


# Every method is forwarded (or refused here), so that the upstream's 405 names its own methods.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def method_not_allowed(allow: str) -> Problem:
    return Problem(405, "Method not allowed", headers={"Allow": allow})


@router.api_route("/v1/{rest:path}", methods=METHODS)
@router.api_route("/dashboard{rest:path}", methods=METHODS)
@router.api_route("/public{rest:path}", methods=METHODS)
@router.api_route("/open311{rest:path}", methods=METHODS)
@router.api_route("/.well-known/{rest:path}", methods=METHODS)
async def forward(request: Request, rest: str, context: Intake) -> Response:
    # A path of the gateway's own asked with a method it does not take (the catch-all matched
    # it, so Starlette's own 405 never came); a path the gateway shares with an upstream
    # (`/v1/reports`: POST here, GET verification's) has a route of its own for each method.
    if (own := allowed_methods(request)) is not None:
        raise method_not_allowed(own)
    return await pass_on(request, context)


async def pass_on(request: Request, context: IntakeContext) -> Response:
    """Send the request to the upstream that owns its path and stream the answer back."""
    settings = context.settings
    path = request.url.path
    upstream = upstream_for(path, settings)
    if upstream is None:
        raise Problem(
            404, "Not found", text("no route for {path}", "tidak ada rute {path}", path=path)
        )
    check_page_size(request, settings)
    headers = {k: v for k, v in request.headers.items() if k in _FORWARDED}
    headers.setdefault("accept-encoding", "identity")  # bytes pass through as the client takes them
    headers["x-correlation-id"] = request.state.correlation_id
    if request.client:
        headers["x-forwarded-for"] = request.client.host
    # An event stream may stay quiet for long between events: no read timeout for it.
    read_timeout = None if is_event_stream(request) else settings.upstream_timeout_seconds
    timeout = httpx.Timeout(
        settings.upstream_timeout_seconds,
        connect=settings.upstream_connect_timeout_seconds,
        read=read_timeout,
    )
    client = context.upstream
    outgoing = client.build_request(
        request.method,
        upstream + path,
        params=request.query_params,
        content=await request.body(),
        headers=headers,
        timeout=timeout,
    )
    try:
        answer = await client.send(outgoing, stream=True)
    except httpx.HTTPError as exc:
        # The service by name, never its address (the log has that): the answer reaches anyone.
        service = (setting_for(path) or "upstream").removesuffix("_url")
        log.warning("gateway.upstream_failed", service=service, url=upstream, error=repr(exc))
        timed_out = isinstance(exc, httpx.TimeoutException)
        if wants_page(request):
            return unavailable_page(service, timed_out)
        if timed_out:
            raise Problem(
                504,
                "Gateway timeout",
                text(
                    "{service} did not answer in time; try again shortly",
                    "{service} tidak menjawab tepat waktu; coba lagi sebentar lagi",
                    service=service,
                ),
            ) from exc
        raise Problem(
            502,
            "Bad gateway",
            text(
                "{service} could not be reached; try again shortly",
                "{service} tidak dapat dihubungi; coba lagi sebentar lagi",
                service=service,
            ),
        ) from exc
    if answer.status_code == 405:
        # Answered here, in the client's language like the gateway's own, with the methods the
        # upstream takes at this path.
        await answer.aclose()
        raise method_not_allowed(answer.headers.get("allow", ""))
    returned = {k: v for k, v in answer.headers.items() if k in _RETURNED}
    if is_event_stream(request):
        returned["x-accel-buffering"] = "no"  # tell proxies in front not to buffer either
    elif is_small(answer, request):
        # Whole, so that the compression around the app sees it is too small to be worth it.
        try:
            body = b"".join([chunk async for chunk in answer.aiter_raw()])
        finally:
            await answer.aclose()
        return Response(body, status_code=answer.status_code, headers=returned)
    return StreamingResponse(
        answer.aiter_raw(),
        status_code=answer.status_code,
        headers=returned,
        background=BackgroundTask(answer.aclose),
    )
