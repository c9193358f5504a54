"""GET /v1/reports: the reports a caller may see, a page at a time, as CSV, or on a map.

An RT head gets their RT's reports, a lurah their kelurahan's, a camat their kecamatan's, the
city office its kota's, an admin every report: the jurisdiction `covers` judges a single report
by. Filters narrow that down (an area inside it, status, kind, bidang, a period, a text); an area
outside it is 403. Each photo comes with a signed link an `<img>` can load without a token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from sipokat.events.bounds import KecamatanCode, KelurahanCode, KotaCode, Month, RTCode
from sipokat.events.catalogue import Bidang, ReportKind
from sipokat.events.consoleviews import ReportMap
from sipokat.events.envelope import Role
from sipokat.events.reportviews import ReportPage, ReportStatusName
from sipokat.runtime import csvexport
from sipokat.runtime.auth import CurrentPrincipal, Principal
from sipokat.runtime.messages import Text, text
from sipokat.runtime.problems import AUTHENTICATED, Problem, field_problem, problem_responses
from sipokat.verification.entrypoints.common import Verification, not_rebuilding
from sipokat.verification.queries import exports, partitions, reportlist, with_links
from sipokat.verification.queries.partitions import BadCursor, Period
from sipokat.verification.queries.reportlist import ListFilter

router = APIRouter(
    prefix="/v1",
    tags=["reports"],
    responses={
        **AUTHENTICATED,
        **problem_responses({503: "The views are being rebuilt; see Retry-After"}),
    },
)

# The most rows one CSV export holds, and the most features one map answer holds.
EXPORT_LIMIT = 50_000
MAP_LIMIT = 2_000

BAD_CURSOR = Text(
    "not a cursor this service made",
    "kursor tidak valid: pakai `next_cursor` dari halaman sebelumnya",
)


def bad_query(name: str, detail: Text) -> Problem:
    return field_problem("Invalid request", [{"pointer": f"/query/{name}", "detail": detail}])


def inside(code: str, area: str) -> bool:
    return code == area or code.startswith(area + ".") or code.startswith(area + "/")


def own_area(principal: Principal) -> tuple[str, str] | None:
    """(level, code) of the caller's jurisdiction; None for an admin (every report)."""
    if principal.role is Role.ADMIN:
        return None
    level = reportlist.LIST_AREA.get(principal.role)
    if level is None or not principal.wilayah:
        raise Problem(
            403,
            "Forbidden",
            text(
                "role {role} has no reports of its own area to list",
                "peran {role} tidak punya daftar laporan wilayahnya",
                role=principal.role,
            ),
        )
    return level, principal.wilayah


def outside(code: str) -> Problem:
    return Problem(
        403,
        "Forbidden",
        text(
            "area {code} lies outside your jurisdiction",
            "wilayah {code} di luar wilayah kewenangan Anda",
            code=code,
        ),
    )


def period_of(first: str | None, last: str | None) -> Period:
    if first and last and first > last:
        raise bad_query(
            "from",
            text(
                "`from` ({first}) is after `to` ({last})",
                "`from` ({first}) sesudah `to` ({last})",
                first=first,
                last=last,
            ),
        )
    return Period(first, last)


async def list_filter(
    principal: CurrentPrincipal,
    kind: ReportKind | None = None,
    bidang: Bidang | None = None,
    kota: Annotated[
        KotaCode | None, Query(description="inside your area (an admin's pick of a city)")
    ] = None,
    kecamatan: Annotated[KecamatanCode | None, Query(description="inside your area")] = None,
    kelurahan: Annotated[KelurahanCode | None, Query(description="inside your area")] = None,
    rt: Annotated[
        RTCode | None, Query(description="inside your area, e.g. 16.73.02.1019/007")
    ] = None,
    first: Annotated[
        Month | None, Query(alias="from", description="the first month, YYYY-MM")
    ] = None,
    last: Annotated[Month | None, Query(alias="to", description="the last month, YYYY-MM")] = None,
    period_by: Annotated[
        Literal["activity", "submitted", "event"] | None,
        Query(
            description="which date `from`/`to` (and the order) go by: `activity` (as "
            "analytics' figures of the work count; the default with a period), `submitted` "
            "(the default without one), or `event`: the WIB month the `event` happened in, as "
            "analytics counts decisions and overdue notices (the default with an `event`)"
        ),
    ] = None,
    event: Annotated[
        reportlist.EventName | None,
        Query(
            description="reports that had this happen: `approved_<tier>`, `rejected_<tier>`, "
            "`overdue_<tier>` (tier kelurahan, kecamatan or kota) or `overdue` at any tier"
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="text in the title or description"),
    ] = None,
) -> ListFilter:
    """The caller's jurisdiction and the filters asked for, as one filter (403 for an area
    outside the jurisdiction)."""
    own = own_area(principal)
    areas = {own[0]: own[1]} if own else {}
    for level, code in (
        ("kota", kota),
        ("kecamatan", kecamatan),
        ("kelurahan", kelurahan),
        ("rt", rt),
    ):
        if code is None:
            continue
        if own is not None and not inside(code, own[1]):
            raise outside(code)
        areas[level] = code
    period = period_of(first, last)
    by = period_by or ("event" if event else "activity" if first or last else "submitted")
    if by == "event":
        if event is None:
            raise bad_query(
                "period_by",
                Text("`period_by=event` needs an `event`", "`period_by=event` perlu `event`"),
            )
        # Submitted before anything happened to it: no later than the period's last month.
        return ListFilter(
            areas=areas,
            kind=kind,
            bidang=bidang,
            q=q,
            period=Period(None, period.last),
            event=event,
            event_period=period,
        )
    return ListFilter(
        areas=areas,
        kind=kind,
        bidang=bidang,
        q=q,
        period=period,
        axis=reportlist.AXES[by],
        event=event,
    )


Filters = Annotated[ListFilter, Depends(list_filter)]


@router.get(
    "/reports",
    response_model=ReportPage,
    responses={
        200: {
            "description": "JSON; with `Accept: text/csv` or `format=csv` every matching report "
            "(at most 50,000), one row each",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        422: {"description": "A bad filter, limit or cursor"},
    },
    summary="The reports you may see, newest first, filtered; or as CSV",
)
async def list_reports(
    request: Request,
    context: Verification,
    filters: Filters,
    status: ReportStatusName | None = None,
    has_location: bool | None = None,
    counts_for_performance: Annotated[
        bool | None,
        Query(description="verified reports the city office counted (or not) for performance"),
    ] = None,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="`csv` for the CSV export (or send `Accept: text/csv`)"),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response | ReportPage:
    """An RT head's own RT, a lurah's kelurahan, a camat's kecamatan, the city office's kota;
    an admin's every report, narrowed by the filters. Newest submission first (newest activity
    first when the period goes by activity); `next_cursor` gives the next page."""
    filters = replace(
        filters,
        status=status,
        has_location=has_location,
        counts_for_performance=counts_for_performance,
    )
    not_rebuilding(context)
    if format == "csv" or (format is None and csvexport.wants_csv(request.headers.get("accept"))):
        return _csv(request, context, filters)
    try:
        after = partitions.decode_cursor(cursor, filters.axis) if cursor else ""
    except BadCursor as exc:
        raise bad_query("cursor", BAD_CURSOR) from exc
    scan = filters.scan(context.database.views, after=after)
    entries, next_cursor = await partitions.page(scan, limit)
    now = context.clock().timestamp()
    seconds = context.settings.photo_link_seconds
    items = [with_links(entry, context.media, now, seconds) for entry in entries]
    return ReportPage.model_validate(
        {"items": items, "next_cursor": next_cursor, "complete": scan.complete}
    )


def _filename(filters: ListFilter, language: str) -> str:
    parts = ["laporan" if language == "id" else "reports"]
    if filters.areas:
        parts.append(max(filters.areas.values(), key=len).replace("/", "-"))
    parts += [month for month in (filters.period.first, filters.period.last) if month]
    return "-".join(parts) + ".csv"


def _csv(request: Request, context: Verification, filters: ListFilter) -> StreamingResponse:
    """Every matching report, one row each, streamed a few hundred rows at a time."""
    language = csvexport.header_language(request.headers.get("accept-language"))
    url_base = context.settings.public_base_url.rstrip("/")
    scan = filters.scan(context.database.views)

    async def rows() -> AsyncIterator[Sequence[csvexport.Cell]]:
        written = 0
        async for entry in scan.entries():
            if written == EXPORT_LIMIT:
                return
            yield exports.row(entry, language, url_base)
            written += 1

    return StreamingResponse(
        csvexport.csv_stream(exports.header(language), rows()),
        media_type=csvexport.MEDIA_TYPE,
        headers={
            "Content-Disposition": csvexport.attachment(_filename(filters, language)),
            "Content-Language": language,
        },
    )


@router.get(
    "/reports/map",
    response_model=ReportMap,
    responses={
        200: {"content": {"application/geo+json": {}}},
        422: {"description": "A bad filter"},
    },
    summary="Verified reports with a location, as GeoJSON",
)
async def report_map(context: Verification, filters: Filters) -> Response:
    """The verified reports with a location that you may see (filtered like the list), as a
    GeoJSON FeatureCollection, newest first, at most 2,000 features (`truncated` says whether
    more matched)."""
    filters = replace(filters, status="verified", has_location=True)
    not_rebuilding(context)
    features: list[dict[str, Any]] = []
    truncated = False
    scan = filters.scan(context.database.views)
    async for entry in scan.entries():
        if len(features) == MAP_LIMIT:
            truncated = True
            break
        features.append(exports.feature(entry))
    collection = ReportMap.model_validate(
        {"features": features, "limit": MAP_LIMIT, "truncated": truncated or not scan.complete}
    )
    return Response(collection.model_dump_json(), media_type="application/geo+json")
