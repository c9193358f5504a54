"""Intake's domain errors as problem details, in the language the client asked for.

The shared handlers (`sipokat.runtime.problems`: Problem, validation, HTTP errors) render every
title and detail in English or Indonesian; here intake's own exceptions are mapped to their
status and bilingual texts, so handlers and domain stay free of HTTP.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sipokat.events.store import ConcurrencyConflict
from sipokat.intake.adapters.idempotency import InvalidKey
from sipokat.intake.adapters.images import PhotoRefused
from sipokat.intake.adapters.upstream import VerificationUnavailable
from sipokat.intake.domain import RULES, FieldError, NotAwaitingRevision, SubmissionRefused
from sipokat.intake.handlers import NotFound, UnknownRT
from sipokat.runtime.messages import Text, text
from sipokat.runtime.problems import Problem, field_problem, problem_answer
from sipokat.wilayah import UnknownWilayah


def rule_text(error: FieldError) -> Text:
    """The broken rule's words (the domain's) as a detail in both languages."""
    english, indonesian = RULES[error.code]
    return Text(english, indonesian, dict(error.params))


def field_errors(errors: list[FieldError], prefix: str = "/body") -> Problem:
    listed = [
        {"pointer": f"{prefix}/{e.field}", "detail": rule_text(e), "code": e.code} for e in errors
    ]
    return field_problem("Invalid report", listed)


def problem_of(exc: Exception) -> Problem:
    """The problem an exception of intake's domain answers."""
    if isinstance(exc, SubmissionRefused):
        return field_errors(exc.errors)
    if isinstance(exc, UnknownRT):
        return Problem(403, "Forbidden", rule_text(exc.error))
    if isinstance(exc, NotFound):
        return Problem(404, "Not found", Text(str(exc), "tidak ada, atau bukan untuk Anda lihat"))
    if isinstance(exc, UnknownWilayah):
        return Problem(404, "Not found", Text(str(exc), "kode wilayah tidak ada di direktori"))
    if isinstance(exc, NotAwaitingRevision):
        return Problem(
            409,
            "Not awaiting revision",
            text(
                "only a report awaiting_revision takes a revision; this one is {status}",
                "hanya laporan awaiting_revision yang dapat diperbaiki; laporan ini {status}",
                status=exc.status,
            ),
            report_status=exc.status,
        )
    if isinstance(exc, ConcurrencyConflict):
        return Problem(
            409,
            "Conflict",
            text(
                "the report changed meanwhile, read it again: {why}",
                "laporan berubah sementara itu, baca lagi: {why}",
                why=str(exc),
            ),
        )
    if isinstance(exc, VerificationUnavailable):
        return Problem(
            503,
            "Service unavailable",
            text(
                "the report's status could not be confirmed, retry shortly: {why}",
                "status laporan belum dapat dipastikan, coba lagi sebentar lagi: {why}",
                why=str(exc),
            ),
            kind="verification-unavailable",
            headers={"Retry-After": "2"},
        )
    if isinstance(exc, InvalidKey):
        detail = text(
            "Idempotency-Key must be 1 to 255 printable ASCII characters",
            "Idempotency-Key harus 1 sampai 255 karakter ASCII yang terlihat",
        )
        return Problem(
            400,
            "Invalid request",
            detail,
            errors=[{"pointer": "/header/Idempotency-Key", "detail": detail}],
        )
    if isinstance(exc, PhotoRefused):
        status = 415 if exc.code == "not_an_image" else 422
        return Problem(
            status,
            "Unsupported media type" if status == 415 else "Invalid photo",
            exc.text(),
            kind=f"photo-{exc.code.replace('_', '-')}",
            errors=[{"pointer": "/body/file", "detail": exc.text(), "code": exc.code}],
        )
    raise TypeError(f"not an error of intake's domain: {exc!r}")


DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    SubmissionRefused,
    UnknownRT,
    NotFound,
    UnknownWilayah,
    NotAwaitingRevision,
    ConcurrencyConflict,
    VerificationUnavailable,
    InvalidKey,
    PhotoRefused,
)


def install(app: FastAPI) -> None:
    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        return problem_answer(request, problem_of(exc))

    handlers: dict[type[Exception], Any] = dict.fromkeys(DOMAIN_ERRORS, domain_error)
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)
