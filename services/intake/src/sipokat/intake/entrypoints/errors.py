"""Problem details of the gateway, in the language the client asked for (messages.py).

They replace the runtime's English handlers for this app: the same RFC 9457 shape, with titles
and the field messages of intake's own checks in English or Indonesian. Intake's domain errors
are mapped to their status here, so handlers and domain stay free of HTTP.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sipokat.events.store import ConcurrencyConflict
from sipokat.intake.domain import FieldError, NotAwaitingRevision, SubmissionRefused
from sipokat.intake.handlers import NotFound, UnknownRT
from sipokat.intake.idempotency import InvalidKey
from sipokat.intake.images import PhotoRefused
from sipokat.intake.messages import Language, negotiate, title, validation_message
from sipokat.runtime.problems import Problem, problem_response
from sipokat.wilayah import UnknownWilayah


def language_of(request: Request) -> Language:
    return negotiate(request.headers.get("accept-language"))


def localized(
    request: Request,
    status: int,
    english_title: str,
    detail: str | None,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    language = language_of(request)
    response = problem_response(
        request,
        status,
        title(english_title, language),
        detail,
        kind=kind or english_title.lower().replace(" ", "-"),
        headers=headers,
        **extensions,
    )
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"
    return response


def field_errors(request: Request, errors: list[FieldError], prefix: str = "/body") -> JSONResponse:
    language = language_of(request)
    listed = [
        {"pointer": f"{prefix}/{e.field}", "detail": e.message(language), "code": e.code}
        for e in errors
    ]
    detail = "; ".join(f"{e['pointer']}: {e['detail']}" for e in listed)
    return localized(request, 422, "Invalid report", detail, kind="validation", errors=listed)


def install(app: FastAPI) -> None:
    async def problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return localized(
            request,
            exc.status,
            exc.title,
            exc.detail,
            kind=exc.kind,
            headers=exc.headers,
            **exc.extensions,
        )

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        language = language_of(request)
        listed = [
            {
                # JSON pointer into the request part at fault, e.g. /body/fund/amount_rupiah
                "pointer": "/" + "/".join(str(part) for part in error.get("loc", ())),
                "detail": validation_message(error, language),
                "code": error.get("type", "invalid"),
            }
            for error in exc.errors()
        ]
        detail = "; ".join(f"{e['pointer']}: {e['detail']}" for e in listed)
        if any(e["code"] == "json_invalid" for e in listed):
            return localized(request, 400, "Malformed JSON", detail, errors=listed)
        return localized(request, 422, "Invalid request", detail, kind="validation", errors=listed)

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        english = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}.get(
            exc.status_code, detail or "Error"
        )
        return localized(request, exc.status_code, english, detail, headers=dict(exc.headers or {}))

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SubmissionRefused)
        return field_errors(request, exc.errors)

    async def unknown_rt(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, UnknownRT)
        return localized(request, 403, "Forbidden", exc.error.message(language_of(request)))

    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return localized(request, 404, "Not found", str(exc))

    async def not_rejected(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NotAwaitingRevision)
        return localized(
            request,
            409,
            "Not awaiting revision",
            f"only a rejected report takes a revision; this one is {exc.status}",
            report_status=str(exc.status),
        )

    async def conflict(request: Request, exc: Exception) -> JSONResponse:
        return localized(
            request, 409, "Conflict", f"the report changed meanwhile, read it again: {exc}"
        )

    async def bad_key(request: Request, exc: Exception) -> JSONResponse:
        return localized(
            request,
            400,
            "Invalid request",
            str(exc),
            errors=[{"pointer": "/header/Idempotency-Key", "detail": str(exc)}],
        )

    async def bad_photo(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PhotoRefused)
        status = 415 if exc.code == "not_an_image" else 422
        english = "Unsupported media type" if status == 415 else "Invalid photo"
        detail = exc.message(language_of(request))
        return localized(
            request,
            status,
            english,
            detail,
            kind=f"photo-{exc.code.replace('_', '-')}",
            errors=[{"pointer": "/body/file", "detail": detail, "code": exc.code}],
        )

    handlers: dict[type[Exception], Any] = {
        Problem: problem,
        RequestValidationError: invalid,
        StarletteHTTPException: http,
        SubmissionRefused: refused,
        UnknownRT: unknown_rt,
        NotFound: not_found,
        NotAwaitingRevision: not_rejected,
        ConcurrencyConflict: conflict,
        InvalidKey: bad_key,
        PhotoRefused: bad_photo,
        UnknownWilayah: not_found,
    }
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)
