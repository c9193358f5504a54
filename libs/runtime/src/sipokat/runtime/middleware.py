"""Per-request correlation id, access log and metrics, as one plain ASGI middleware.

The correlation id comes from the X-Correlation-ID header or is made here; it is bound into the
log context for every line of the request, echoed in the response, and put into the envelopes of
events the request causes.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sipokat.runtime.metrics import HTTP_LATENCY, HTTP_REQUESTS

HEADER = b"x-correlation-id"
# A client-supplied id is only taken if it is short and plain: it ends up in logs and events.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,100}")  # fullmatch: `$` takes a trailing newline
log = structlog.get_logger("sipokat.http")


def correlation_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == HEADER:
            candidate: str = value.decode("latin-1")
            if _ACCEPTABLE.fullmatch(candidate):
                return candidate
    return str(uuid.uuid4())


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = correlation_id_of(scope)
        # A copy: servers may hand every request the same lifespan-state dict.
        scope["state"] = {**scope.get("state", {}), "correlation_id": correlation_id}
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (HEADER, correlation_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route: Any = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, template).observe(elapsed)
            if not template.startswith(("/health", "/metrics")):
                log.info(
                    "http.request",
                    method=method,
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("correlation_id")
