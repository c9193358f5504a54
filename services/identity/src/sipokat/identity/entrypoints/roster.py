"""The roster import: an admin sends the city's RT heads as a CSV body, dry run by default."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from sipokat.events.envelope import Role
from sipokat.identity.domain.roster import RowError
from sipokat.identity.entrypoints.common import Identity
from sipokat.identity.handlers.roster import (
    RosterChanged,
    RosterRefused,
    RosterResult,
    RosterTooLarge,
    Status,
    import_roster,
)
from sipokat.runtime.auth import Principal, require_roles
from sipokat.runtime.messages import Text, text
from sipokat.runtime.problems import AUTHENTICATED, Problem, problem_responses

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], responses=AUTHENTICATED)
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]

# What a spreadsheet or a browser calls a CSV file; no type at all is taken as CSV too (curl
# --data-binary sends one, an httpx `content=` none).
CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel")
EXAMPLE = "rt,nama,telepon\n16.73.02.1019/001,Siti Rahma,0812-3456-7890\n"


class RosterRowAnswer(BaseModel):
    line: int = Field(description="the row's line in the file (1 is the header)")
    rt: str
    name: str
    phone: str = Field(description="E.164")
    status: Status = Field(
        description="create (dry run: would be created), created, unchanged (the number's "
        "account holds this RT already), pending (left for the next request of the same file)"
    )
    account: str | None = None
    activated: bool | None = None
    activation_code: str | None = Field(
        default=None, description="created rows only: one-time, shown this once"
    )
    activation_expires: datetime | None = None


class RosterCounts(BaseModel):
    rows: int
    create: int = Field(description="dry run: rows that would be created")
    created: int
    unchanged: int
    pending: int = Field(description="rows still to create: send the same file again")


class RosterAnswer(BaseModel):
    dry_run: bool
    complete: bool = Field(description="every row's RT head has an account")
    counts: RosterCounts
    rows: list[RosterRowAnswer]
    ignored_columns: list[str] = Field(description="columns of the file that are not read")
    errors: list[dict[str, Any]] = Field(
        default_factory=list, description="always empty here: a file with errors is a problem"
    )


def answer_of(result: RosterResult) -> RosterAnswer:
    return RosterAnswer(
        dry_run=result.dry_run,
        complete=result.complete,
        counts=RosterCounts(
            rows=len(result.rows),
            create=result.count("create"),
            created=result.count("created"),
            unchanged=result.count("unchanged"),
            pending=result.count("pending"),
        ),
        rows=[RosterRowAnswer.model_validate(row, from_attributes=True) for row in result.rows],
        ignored_columns=result.ignored_columns,
    )


def row_problem(error: RowError) -> dict[str, Any]:
    pointer = f"/body/{error.line}" + (f"/{error.field}" if error.field else "")
    return {
        "line": error.line,
        "field": error.field,
        "code": error.code,
        "pointer": pointer,
        "detail": Text(error.message("en"), error.message("id")),
    }


def refused(exc: RosterRefused) -> Problem:
    errors = [row_problem(error) for error in exc.errors]
    lines = len({error.line for error in exc.errors})
    if exc.conflict:
        return Problem(
            409,
            "Conflict",
            text(
                "{lines} row(s) of the roster conflict with existing accounts; nothing was "
                "imported",
                "{lines} baris daftar bertentangan dengan akun yang ada; tidak ada yang diimpor",
                lines=lines,
            ),
            kind="roster-conflict",
            errors=errors,
        )
    return Problem(
        422,
        "Invalid request",
        text(
            "{lines} line(s) of the roster are wrong; nothing was imported",
            "{lines} baris daftar salah; tidak ada yang diimpor",
            lines=lines,
        ),
        kind="invalid-roster",
        errors=errors,
    )


@router.post(
    "/roster",
    responses=problem_responses(
        {
            409: "Rows conflict with existing accounts (the RT has another holder, the number "
            "another account), or an account appeared meanwhile: nothing imported",
            413: "Larger than a roster may be (bytes or rows)",
            415: "Not a CSV body",
            422: "Bad rows, each with its line, field and why: nothing imported",
        }
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": EXAMPLE}},
        }
    },
)
async def import_roster_csv(
    request: Request,
    context: Identity,
    admin: Admin,
    response: Response,
    dry_run: Annotated[
        bool, Query(description="true (the default): check and tell; false: import")
    ] = True,
) -> RosterAnswer:
    """The city's RT heads from a CSV (`rt,nama,telepon[,email]`, or `rt,name,phone`): each
    new one gets an account with the RT's post and a one-time activation code, shown once
    in this answer. Checked whole first: any bad or conflicting row and nothing is imported.
    Sending the same file again creates nothing twice; an import creates at most a batch of
    accounts per request (`complete` false, `pending` rows): send the file again to go on."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media not in CSV_TYPES:
        raise Problem(
            415,
            "Unsupported media type",
            text(
                "send the roster as a text/csv body, not {media}",
                "kirim daftar sebagai isi text/csv, bukan {media}",
                media=media,
            ),
        )
    try:
        result = await import_roster(
            context, await request.body(), dry_run=dry_run, by=admin.as_actor()
        )
    except RosterTooLarge as large:
        raise Problem(
            413,
            "Content too large",
            text(
                "a roster has at most {most} rows",
                "daftar paling banyak {most} baris",
                most=large.most,
            ),
        ) from None
    except RosterRefused as exc:
        raise refused(exc) from None
    except RosterChanged:
        raise Problem(
            409,
            "Conflict",
            text(
                "an account for one of the numbers was created meanwhile; nothing of this "
                "batch was imported: run the dry run again",
                "akun untuk salah satu nomor baru saja dibuat; batch ini tidak diimpor: "
                "jalankan uji coba lagi",
            ),
        ) from None
    response.headers["Cache-Control"] = "no-store"  # it holds activation codes
    return answer_of(result)
