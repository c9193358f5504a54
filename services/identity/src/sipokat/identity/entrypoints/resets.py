"""Help nearby: a lurah, camat or admin finds the person in front of them, resets their password,
and reads the record of the resets they did (docs/identity.md, "Help nearby: resets").

Every route here needs the caller's own account, holding now the post its token names: a reset
is recorded under an account, and a helper whose post has ended helps no one from that moment.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from sipokat.events.bounds import AreaCode
from sipokat.events.envelope import Role
from sipokat.identity.domain import Refused
from sipokat.identity.domain.resets import HIDDEN
from sipokat.identity.entrypoints.common import Identity, account_of, refusal
from sipokat.identity.handlers import AccountNotFound, NoPost
from sipokat.identity.handlers import resets as nearby
from sipokat.runtime.auth import Principal, require_roles
from sipokat.runtime.problems import AUTHENTICATED, Problem, problem_responses

router = APIRouter(prefix="/v1/accounts", tags=["help nearby"], responses=AUTHENTICATED)
Helper = Annotated[Principal, Depends(require_roles(Role.LURAH, Role.CAMAT, Role.ADMIN))]

# One answer for an account that does not exist and one outside the caller's jurisdiction.
NOT_YOURS = Refused("reset_outside")
Cursor = Annotated[UUID | None, Query(description="`next_cursor` of the page before")]
Limit = Annotated[int, Query(ge=1, le=100)]  # the gateway's page-size cap


class ResetAnswer(BaseModel):
    code: str = Field(
        description="one-time, shown this once: hand it over in person or on a call; the holder "
        "sets a new password with it at POST /v1/auth/activate"
    )
    expires_at: datetime
    reset: dict[str, Any] = Field(description="the reset as recorded: who, whom, when")


def _not_found() -> Problem:
    return Problem(404, "Not found", refusal(NOT_YOURS))


@router.post(
    "/{account_id}/reset",
    status_code=201,
    responses=problem_responses(
        {
            403: "Your own account, an account at or above your level, one in your area that "
            "another helps, or one whose post has ended",
            404: "No such account in your jurisdiction (the same answer whether it exists)",
        }
    ),
)
async def reset_password(
    account_id: UUID, context: Identity, principal: Helper, response: Response
) -> ResetAnswer:
    """A one-time code that replaces the account's password: the old one stops working and
    every session of the account ends. A lurah resets an RT head of their kelurahan, a camat a
    lurah of their kecamatan, an admin anyone but themselves."""
    actor = await account_of(context, principal)
    try:
        reset = await nearby.reset_password(context, actor, str(account_id))
    except AccountNotFound:
        raise _not_found() from None
    except NoPost:  # the caller's post ended a moment ago (account_of saw it held)
        raise _not_found() from None
    except Refused as refused:
        if refused.code in HIDDEN:
            raise _not_found() from None
        raise Problem(403, "Forbidden", refusal(refused), code=refused.code) from None
    response.headers["Cache-Control"] = "no-store"  # the code is a credential
    return ResetAnswer(code=reset.code, expires_at=reset.expires, reset=reset.record)


@router.get("")
async def list_accounts(
    context: Identity,
    principal: Helper,
    role: Role | None = None,
    wilayah: Annotated[AreaCode | None, Query(description="a current post in this area")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    """The accounts the caller helps, by id: a lurah the RT heads of their kelurahan, a camat
    the lurah of their kecamatan (phone numbers masked), an admin everyone (whole)."""
    actor = await account_of(context, principal)
    return await nearby.accounts_page(
        context,
        actor,
        role=role,
        wilayah=wilayah,
        cursor=str(cursor) if cursor else None,
        limit=limit,
    )


def _utc(since: datetime | None) -> datetime | None:
    return since.replace(tzinfo=UTC) if since and since.tzinfo is None else since


Since = Annotated[
    datetime | None,
    Query(description="resets from this time (ISO 8601; UTC unless it says); a year back if none"),
]


@router.get("/resets")
async def resets(
    context: Identity,
    principal: Helper,
    since: Since = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    """Who reset whose password, when, and when the code was used; oldest first. An admin sees
    every reset, a lurah or camat the ones they did."""
    actor = await account_of(context, principal)
    return await nearby.resets_page(
        context,
        actor,
        target=None,
        since=_utc(since),
        cursor=str(cursor) if cursor else None,
        limit=limit,
    )


@router.get("/{account_id}/resets")
async def resets_of(
    account_id: UUID,
    context: Identity,
    principal: Helper,
    since: Since = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    """The resets of one account (a lurah's or camat's own resets of it): an empty list for an
    account with none, whether or not it exists."""
    actor = await account_of(context, principal)
    return await nearby.resets_page(
        context,
        actor,
        target=str(account_id),
        since=_utc(since),
        cursor=str(cursor) if cursor else None,
        limit=limit,
    )
