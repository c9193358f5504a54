"""Open311 GeoReport v2, read only: the service list and the verified reports as requests.

Public data, so no token. The format is the path's extension (`.json` or `.xml`), as the
standard has it; errors are the standard's error list in that format (JSON when the extension
itself is wrong), not problem details, because that is what Open311 clients parse.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sipokat.analytics.domain import open311
from sipokat.analytics.domain.open311 import Open311Error
from sipokat.analytics.entrypoints.common import Analytics, current_rebuild
from sipokat.analytics.handlers import AnalyticsContext
from sipokat.analytics.queries import find_requests, get_request
from sipokat.events.logrebuild import RUNNING
from sipokat.runtime.foldversion import RETRY_AFTER_SECONDS

router = APIRouter(prefix="/open311", tags=["open311"])

JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"
FORMATS = ("json", "xml")
READ = ["GET", "HEAD"]
Rows = list[dict[str, Any]]

# The standard's error list, as the OpenAPI document describes every error answer here.
_ERRORS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
_ERRORS = {"content": {"application/json": {"schema": _ERRORS_SCHEMA}, "text/xml": {}}}
# GET and HEAD are declared as two routes: one route with both methods gives both operations
# the same OpenAPI operationId.
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/xml": {}}},
    400: {"description": "A bad parameter, named in the description", **_ERRORS},
    404: {"description": "Unknown jurisdiction, format or request", **_ERRORS},
    503: {"description": "The requests are being rebuilt; see Retry-After", **_ERRORS},
}


def _served(context: AnalyticsContext) -> dict[str, str]:
    return {city.code: city.name for city in context.directory.cities}


# What an XML 1.0 document cannot hold at all, not even as a character reference (the `Char`
# production): the C0 controls but tab, newline and CR, the surrogates, U+FFFE and U+FFFF.
# ElementTree writes them as they are, and one of them makes the whole answer unparseable.
# Reports in the log may hold any of them, whatever the catalogue accepts today.
_NOT_XML_CHAR = re.compile(r"[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A lone surrogate cannot be written in UTF-8 either (JSON then fails to encode).
_SURROGATE = re.compile(r"[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML_CHAR.sub(REPLACEMENT, str(value))


def to_xml(root: str, item: str, rows: Rows) -> bytes:
    """The rows as XML 1.0; a character XML cannot hold becomes U+FFFD."""
    tree = ET.Element(root)
    for row in rows:
        element = ET.SubElement(tree, item)
        for name, value in row.items():
            ET.SubElement(element, name).text = _text(value)
    text = ET.tostring(tree, encoding="unicode")
    # A parser reads a raw CR as a newline; the reference keeps it. Only text holds one here.
    text = text.replace("\r", "&#13;")
    # Written by hand: ElementTree's declaration uses single quotes, which some clients reject.
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode()


def to_json(rows: Rows) -> bytes:
    """The rows as JSON (UTF-8): every other character is representable, escaped or not."""
    return _SURROGATE.sub(REPLACEMENT, json.dumps(rows, ensure_ascii=False)).encode()


def render(rows: Rows, fmt: str, root: str, item: str, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, rows), status, media_type=XML)
    return Response(to_json(rows), status, media_type=JSON)


def error_response(error: Open311Error, fmt: str) -> Response:
    answer = render(
        [{"code": error.code, "description": error.description}], fmt, "errors", "error", error.code
    )
    if error.code == 503:
        answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if error.code == 405:  # RFC 9110: a 405 lists what the resource does allow
        answer.headers["Allow"] = ", ".join(READ)
    return answer


async def _not_rebuilding(context: AnalyticsContext) -> None:
    state = ((await current_rebuild(context)) or {}).get("state")
    if state == RUNNING:
        raise Open311Error(
            503, "the requests are being rebuilt from the event log; retry in a few seconds"
        )
    if state == "failed":
        # The error itself is for operators (GET /v1/analytics/rebuild), not the public.
        raise Open311Error(503, "the last rebuild of the requests failed; retry later")


async def _answer(
    fmt: str, root: str, item: str, produce: Callable[[], Awaitable[Rows]]
) -> Response:
    if fmt not in FORMATS:
        unknown = Open311Error(404, f"format {fmt!r} is not served: ask for .json or .xml")
        return error_response(unknown, "json")
    try:
        rows = await produce()
    except Open311Error as error:
        return error_response(error, fmt)
    return render(rows, fmt, root, item)


@router.get("/v2/services.{fmt}", responses=RESPONSES)
@router.head("/v2/services.{fmt}", responses=RESPONSES)
async def services(request: Request, context: Analytics, fmt: str) -> Response:
    """One service per bidang. `jurisdiction_id` is optional: every kota has the same list."""

    async def produce() -> Rows:
        given = request.query_params.getlist("jurisdiction_id")
        if open311.comma_list(given):
            open311.parse_jurisdiction(given, _served(context))
        return open311.services()

    return await _answer(fmt, "services", "service", produce)


@router.get("/v2/requests.{fmt}", responses=RESPONSES)
@router.head("/v2/requests.{fmt}", responses=RESPONSES)
async def requests(request: Request, context: Analytics, fmt: str) -> Response:
    """Verified reports of one kota: by default the last 90 days' submissions, newest first, at
    most 1000; filters `service_request_id`, `service_code`, `status`, `start_date`,
    `end_date`."""

    async def produce() -> Rows:
        params = {name: request.query_params.getlist(name) for name in request.query_params}
        search = open311.parse_search(params, _served(context), datetime.now(UTC))
        await _not_rebuilding(context)
        return await find_requests(context.database.views, search)

    return await _answer(fmt, "service_requests", "request", produce)


@router.get("/v2/requests/{service_request_id}.{fmt}", responses=RESPONSES)
@router.head("/v2/requests/{service_request_id}.{fmt}", responses=RESPONSES)
async def one_request(
    request: Request, context: Analytics, service_request_id: str, fmt: str
) -> Response:
    """One verified report, as a list of one; 404 when unknown or not verified."""

    async def produce() -> Rows:
        given = request.query_params.getlist("jurisdiction_id")
        jurisdiction = open311.parse_jurisdiction(given, _served(context))
        await _not_rebuilding(context)
        found = await get_request(context.database.views, service_request_id, jurisdiction)
        if found is None:
            raise Open311Error(
                404,
                f"service_request_id {service_request_id} was not found in jurisdiction "
                f"{jurisdiction} (only verified reports are published)",
            )
        return [found]

    return await _answer(fmt, "service_requests", "request", produce)


# Not an operation of the API, only how everything else under /open311 is answered.
@router.api_route(
    "/{rest:path}",
    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def elsewhere(request: Request, rest: str) -> Response:
    """Anything else under /open311 answers in the standard's error format too."""
    fmt = "xml" if rest.endswith(".xml") else "json"
    if request.method not in READ:
        error = Open311Error(
            405,
            f"{request.method} is not offered: this Open311 endpoint is read only "
            "(reports are submitted by RT heads through Sipokat)",
        )
    else:
        error = Open311Error(
            404,
            f"no Open311 resource at {request.url.path}: GeoReport v2 here has "
            "/open311/v2/services.json, /open311/v2/requests.json and "
            "/open311/v2/requests/{service_request_id}.json (or .xml)",
        )
    return error_response(error, fmt)
