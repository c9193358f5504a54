"""What every analytics query takes: the caller's area and period, and how to answer (JSON/CSV)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from sipokat.analytics.domain.areas import (
    Area,
    BadArea,
    Period,
    jurisdiction,
    parse_area,
    parse_period,
)
from sipokat.analytics.entrypoints.common import Analytics, current_rebuild
from sipokat.analytics.handlers import AnalyticsContext
from sipokat.analytics.queries import Reader, Result
from sipokat.events.bounds import AreaCode, Month
from sipokat.events.envelope import Role
from sipokat.events.logrebuild import RUNNING
from sipokat.runtime import csvexport
from sipokat.runtime.auth import Principal, require_roles
from sipokat.runtime.foldversion import rebuilding
from sipokat.runtime.messages import Text, text
from sipokat.runtime.problems import Problem, field_problem

LEADERS = require_roles(Role.PEMKOT, Role.ADMIN, Role.CAMAT, Role.LURAH)

WilayahParam = Annotated[
    AreaCode | None,
    Query(
        description="A kota, kecamatan, kelurahan or RT code; default: the caller's own area",
        examples=["16.73.02.1019"],
    ),
]
FromParam = Annotated[Month | None, Query(alias="from", description="First month, e.g. 2026-01")]
ToParam = Annotated[Month | None, Query(description="Last month, inclusive, e.g. 2026-06")]


@dataclass(frozen=True)
class Scope:
    reader: Reader
    area: Area
    period: Period


# What a refused query parameter says in Indonesian; the English names the value.
INVALID_ID = {
    "wilayah": "bukan kode wilayah yang dikenal (mis. 16.73, 16.73.02, 16.73.02.1019, atau RT)",
    "from": "`from` harus bulan seperti 2026-03, dan tidak setelah `to`",
    "to": "`to` harus bulan seperti 2026-06, dan tidak sebelum `from`",
}


def _invalid(name: str, detail: str) -> Problem:
    said = Text(detail, INVALID_ID[name])
    return field_problem(
        "Invalid request", [{"pointer": f"/query/{name}", "detail": said, "code": "value_error"}]
    )


async def _not_rebuilding(context: AnalyticsContext) -> None:
    status = await current_rebuild(context)
    if status is not None and status["state"] in (RUNNING, "failed"):
        raise rebuilding(
            text(
                "the analytics views are being rebuilt from the event log",
                "tampilan analitik sedang dibangun ulang dari log peristiwa",
            )
            if status["state"] == RUNNING
            else text(
                "the last rebuild failed ({error}); run it again",
                "pembangunan ulang terakhir gagal ({error}); jalankan lagi",
                error=status.get("error"),
            ),
            rebuild=status,
        )


def resolve(
    reader: Reader, wilayah: str | None, first: str | None, last: str | None, allowed: Area
) -> tuple[Area, Period]:
    try:
        period = parse_period(first, last)
    except ValueError as exc:
        raise _invalid("from" if "from" in str(exc) else "to", str(exc)) from None
    if wilayah is None:
        return allowed, period
    try:
        area = parse_area(wilayah, reader.directory)
    except BadArea as exc:
        raise _invalid("wilayah", str(exc)) from None
    if not allowed.contains(area):
        raise Problem(
            403,
            "Forbidden",
            text(
                "wilayah {wilayah} is outside your area ({area})",
                "wilayah {wilayah} di luar wilayah Anda ({area})",
                wilayah=wilayah,
                area=allowed.code,
            ),
        )
    return area, period


async def leader_scope(
    context: Analytics,
    principal: Annotated[Principal, Depends(LEADERS)],
    wilayah: WilayahParam = None,
    first: FromParam = None,
    to: ToParam = None,
) -> Scope:
    """The area (within the caller's jurisdiction) and period of a leader's query."""
    allowed = jurisdiction(principal.role, principal.wilayah)
    if allowed is None:
        raise Problem(
            403,
            "Forbidden",
            text(
                "a {role} token without a wilayah sees nothing",
                "token {role} tanpa wilayah tidak dapat melihat apa pun",
                role=principal.role,
            ),
        )
    await _not_rebuilding(context)
    area, period = resolve(context.reader, wilayah, first, to, allowed)
    return Scope(context.reader, area, period)


async def public_scope(
    context: Analytics, wilayah: WilayahParam = None, first: FromParam = None, to: ToParam = None
) -> Scope:
    await _not_rebuilding(context)
    area, period = resolve(context.reader, wilayah, first, to, Area())
    return Scope(context.reader, area, period)


LeaderScope = Annotated[Scope, Depends(leader_scope)]
PublicScope = Annotated[Scope, Depends(public_scope)]


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The table as a spreadsheet-safe CSV document (BOM, formula guard: `csvexport`); the
    columns are every key in the order the rows first name them."""
    columns: list[str] = []
    for row in rows:
        columns += [name for name in row if name not in columns]
    return csvexport.csv_document(columns, ([row.get(c) for c in columns] for row in rows))


def respond(request: Request, result: Result, name: str) -> Response:
    """JSON by default; the result's table as CSV for `Accept: text/csv`."""
    if csvexport.wants_csv(request.headers.get("accept")):
        return Response(
            to_csv(result.table),
            media_type=csvexport.MEDIA_TYPE,
            headers={"Content-Disposition": csvexport.attachment(f"{name}.csv")},
        )
    return JSONResponse(result.body)
