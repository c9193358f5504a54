"""A FastAPI route with a direct path for the requests that come at the platform's rate.

FastAPI's per-request machinery (reading the body, solving dependencies, validating each
parameter, building the endpoint context) cost intake more CPU per report than everything the
route itself does: storing the report, its event and its answer (docs/performance.md). A
`DirectRoute` is documented, matched and guarded like any other route, from its endpoint's
signature; a request it serves goes first to the endpoint's *direct* handler, a plain
`(request) -> Response` that does the common case itself. Whatever that handler cannot take
(a body that does not validate, another content type) it hands to FastAPI's own handler of the
same route with `FastPath.fallback`, so every error answer stays exactly FastAPI's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
Handler = Callable[[Request], Coroutine[Any, Any, Response]]

_DIRECT = "__sipokat_direct__"


class FastPath:
    """What a direct handler gets besides the request: FastAPI's handler of its route."""

    def __init__(self, fallback: Handler) -> None:
        self.fallback = fallback


DirectHandler = Callable[[Request, FastPath], Awaitable[Response]]


def served_directly(handler: DirectHandler) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint of a `DirectRoute` router to be served by `handler` first."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _DIRECT, handler)
        return endpoint

    return mark


class DirectRoute(APIRoute):
    """Serves a marked endpoint's requests by its direct handler; any other as FastAPI does."""

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        direct: DirectHandler | None = getattr(self.endpoint, _DIRECT, None)
        if direct is None:
            return standard
        path = FastPath(standard)

        async def serve(request: Request) -> Response:
            return await direct(request, path)

        return serve


def is_json(request: Request) -> bool:
    """A JSON content type, as FastAPI reads one (`application/json` or `application/*+json`)."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )
