"""RFC 9457 problem details for every error a service answers, in English or Indonesian as the
request's Accept-Language asks (messages.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from sipokat.runtime.messages import (
    Language,
    Text,
    negotiate,
    problem_kind,
    render,
    text,
    validation_message,
)
from sipokat.runtime.messages import title as translated_title

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://sipokat.id/problems/"

# The shape of every problem answer, for OpenAPI documents (inline: no component to register).
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "instance": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["pointer", "detail"],
                "properties": {
                    "pointer": {"type": "string"},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
}


def problem_responses(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for routes (or routers) that answer these statuses as problems."""
    return {
        status: {"description": text, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
        for status, text in descriptions.items()
    }


# Every route that reads the bearer token.
AUTHENTICATED = problem_responses(
    {401: "No valid bearer token", 403: "The token's role may not do this, or not in this area"}
)


def document_validation_problems(app: FastAPI) -> None:
    """FastAPI documents its 422 as `application/json` `HTTPValidationError`, but every service
    answers it as problem details (below): make the OpenAPI document say what is sent. A route
    that reads a body also answers 400 when the body cannot be parsed at all, and 413 when it
    is too large; every route but the health checks answers 429 past the client's rate limit
    (the edge middlewares of `create_service_app`)."""
    build = app.openapi
    edge = problem_responses(
        {
            400: "The body could not be parsed",
            413: "The body is larger than this route takes",
            429: "Too many requests from this client; retry after `Retry-After` seconds",
        }
    )
    edge[429]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for path, operations in schema.get("paths", {}).items():
                for operation in operations.values():
                    answers = operation.setdefault("responses", {})
                    answer = answers.get("422")
                    if answer is not None and PROBLEM_JSON not in answer.get("content", {}):
                        answer["content"] = {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}
                    if "requestBody" in operation:
                        answers.setdefault("400", edge[400])
                        answers.setdefault("413", edge[413])
                    if not path.startswith("/health"):
                        answers.setdefault("429", edge[429])
            components = schema.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(request: Request) -> str | None:
    """Every method the API documents at this path: Starlette's 405 names only the methods of
    the first route that matched (GET and POST of one path are two routes), and RFC 9110 wants
    the whole list. Read from the OpenAPI document, compiled once per app."""
    app = request.app
    paths: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "allow_paths", None)
    if paths is None:
        paths = [
            (compile_path(template)[0], {method.upper() for method in operations})
            for template, operations in app.openapi().get("paths", {}).items()
        ]
        app.state.allow_paths = paths
    methods: set[str] = set()
    for pattern, documented in paths:
        if pattern.match(request.url.path):
            methods |= documented
    return ", ".join(sorted(methods)) if methods else None


class Problem(Exception):
    """An error to answer as problem details; raise it from any handler.

    `title` is English and must be in `messages.TITLES_ID`; `detail` is a `Text` (both
    languages) — a plain string is shown as it is in either language, so give a `Text`.
    `Text` values in the extensions (e.g. `errors[].detail`) are rendered too."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: Text | str | None = None,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(str(detail or title))
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind or problem_kind(title)
        self.headers = headers
        self.extensions = extensions


def language_of(request: Request) -> Language:
    return negotiate(request.headers.get("accept-language"))


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: Text | str | None = None,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """The problem in the language the client asked for (`Content-Language`)."""
    language = language_of(request)
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (kind or problem_kind(title)),
        "title": translated_title(title, language),
        "status": status,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = render(detail, language)
    body.update(render(extensions, language))
    response = JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)
    response.headers["Content-Language"] = language
    response.headers.append("Vary", "Accept-Language")
    return response


def problem_answer(request: Request, problem: Problem) -> JSONResponse:
    return problem_response(
        request,
        problem.status,
        problem.title,
        problem.detail,
        kind=problem.kind,
        headers=problem.headers,
        **problem.extensions,
    )


def joined(parts: Sequence[Text | str], separator: str = "; ") -> Text:
    """One text of several, each in the same language."""
    return Text(
        separator.join(str(render(part, "en")) for part in parts),
        separator.join(str(render(part, "id")) for part in parts),
    )


def field_problem(
    title: str, errors: Sequence[Mapping[str, Any]], *, status: int = 422, kind: str = "validation"
) -> Problem:
    """A problem naming each wrong field: `errors` of `{"pointer", "detail", "code"?}`, the
    detail a `Text`; the problem's own detail lists them all."""
    listed = [dict(error) for error in errors]
    detail = joined([joined([error["pointer"], error["detail"]], ": ") for error in listed])
    return Problem(status, title, detail, kind=kind, errors=listed)


def validation_text(error: Mapping[str, Any]) -> Text:
    """A pydantic error's message in both languages."""
    return Text(validation_message(error, "en"), validation_message(error, "id"))


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            # JSON pointer into the request part that is wrong, e.g. /body/content/title
            "pointer": "/" + "/".join(str(part) for part in error.get("loc", ())),
            "detail": validation_text(error),
            "code": error.get("type", "invalid"),
        }
        for error in exc.errors()
    ]


# Starlette's own details are the status's reason phrase: the title says as much.
_REASON_PHRASES = {"Not Found", "Method Not Allowed", "Unauthorized", "Bad Request"}
_HTTP_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
}
BODY_UNREADABLE = text("the body could not be parsed", "isi permintaan tidak dapat dibaca")


def _http_detail(status: int, detail: Any) -> Text | str | None:
    if not isinstance(detail, str) or detail in _REASON_PHRASES:
        return None
    if status == 400:
        return BODY_UNREADABLE  # FastAPI's "There was an error parsing the body"
    return detail


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_answer(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        if any(e["code"] == "json_invalid" for e in errors):
            problem = field_problem("Malformed JSON", errors, status=400, kind="malformed-json")
        else:
            problem = field_problem("Invalid request", errors)
        return problem_answer(request, problem)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = _HTTP_TITLES.get(exc.status_code, "Error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405 and (allow := allowed_methods(request)):
            headers["Allow"] = allow
        detail = _http_detail(exc.status_code, exc.detail)
        return problem_response(request, exc.status_code, title, detail, headers=headers or None)
