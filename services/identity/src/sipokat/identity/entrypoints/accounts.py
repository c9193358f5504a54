"""Accounts: one's own, and an admin's creating them, ending their posts and starting new ones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sipokat.events.bounds import AreaCode, PersonName
from sipokat.events.envelope import Role
from sipokat.identity import handlers
from sipokat.identity.domain import Refused
from sipokat.identity.entrypoints.common import Identity, account_of, invalid, phone_taken
from sipokat.identity.handlers import AccountNotFound, PhoneTaken
from sipokat.identity.handlers.posts import PostHeld, start_post
from sipokat.identity.queries import public_account
from sipokat.runtime.auth import CurrentPrincipal, Principal, require_roles
from sipokat.runtime.messages import text
from sipokat.runtime.problems import AUTHENTICATED, Problem, problem_responses

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], responses=AUTHENTICATED)
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]

NOT_FOUND = text("no such account", "akun tidak ditemukan")
# Which field a refusal of the domain is about.
POINTERS = {"phone_invalid": "/phone", "email_invalid": "/email", "role_not_a_post": "/role"}


class AccountBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    phone: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        examples=["0812-3456-7890"]
    )
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    role: Role = Field(description="the post: ketua_rt, lurah, camat, pemkot, admin, integrator")
    wilayah: AreaCode | None = Field(
        default=None, description="the post's area, of the role's level; none for admin/integrator"
    )


class PostBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role = Field(description="the post: ketua_rt, lurah, camat, pemkot, admin, integrator")
    wilayah: AreaCode | None = Field(
        default=None, description="the post's area, of the role's level; none for admin/integrator"
    )


class CreatedAccount(BaseModel):
    account: dict[str, Any]
    activation_code: str = Field(description="one-time, shown this once: hand it over in person")
    activation_expires: datetime


@router.get("/me")
async def me(context: Identity, principal: CurrentPrincipal) -> dict[str, Any]:
    return public_account(await account_of(context, principal))


@router.post(
    "",
    status_code=201,
    responses=problem_responses(
        {
            409: "The phone number has an account already",
            422: "Not a phone number or email, or a wilayah that is not of the role's level",
        }
    ),
)
async def create_account(
    body: AccountBody, context: Identity, admin: Admin, response: Response
) -> CreatedAccount:
    """A person with a post, and the one-time code with which they set their first password."""
    try:
        created = await handlers.create_account(
            context,
            name=body.name,
            raw_phone=body.phone,
            email=body.email,
            role=body.role,
            wilayah=body.wilayah,
            by=admin.as_actor(),
        )
    except Refused as refused:
        raise invalid(refused, POINTERS.get(refused.code, "/wilayah")) from None
    except PhoneTaken:
        raise phone_taken() from None
    response.headers["Cache-Control"] = "no-store"
    response.headers["Location"] = f"/v1/accounts/{created.account['id']}"
    return CreatedAccount(
        account=public_account(created.account),
        activation_code=created.activation_code,
        activation_expires=created.activation_expires,
    )


@router.post(
    "/{account_id}/posts/end",
    responses=problem_responses({404: "No such account"}),
)
async def end_post(account_id: UUID, context: Identity, admin: Admin) -> dict[str, Any]:
    """The holder leaves the post now (a new RT head is elected, a lurah moves): every session
    of the account ends; the wilayah's reports stay with the wilayah."""
    try:
        account = await handlers.end_post(context, str(account_id), admin.as_actor())
    except AccountNotFound:
        raise Problem(404, "Not found", NOT_FOUND) from None
    return public_account(account)


@router.post(
    "/{account_id}/posts",
    status_code=201,
    responses=problem_responses(
        {
            404: "No such account",
            409: "The account holds a post now: end it first",
            422: "A wilayah that is not in the directory or not of the role's level",
        }
    ),
)
async def new_post(
    account_id: UUID, body: PostBody, context: Identity, admin: Admin
) -> dict[str, Any]:
    """A new post for an account that holds none (a lurah who moved, an RT head elected
    again): the holder signs in again to work in it."""
    try:
        account = await start_post(
            context, str(account_id), body.role, body.wilayah, admin.as_actor()
        )
    except Refused as refused:
        raise invalid(refused, POINTERS.get(refused.code, "/wilayah")) from None
    except AccountNotFound:
        raise Problem(404, "Not found", NOT_FOUND) from None
    except PostHeld:
        raise Problem(
            409,
            "Conflict",
            text(
                "the account holds a post now; end it before starting another",
                "akun ini sedang memegang jabatan; akhiri dulu sebelum memulai yang lain",
            ),
        ) from None
    return public_account(account)
