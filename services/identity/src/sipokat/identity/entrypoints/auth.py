"""Sign-in and its sessions: phone and password in, a short-lived access token and a refresh
token that rotates on every use out (docs/identity.md)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sipokat.identity import handlers
from sipokat.identity.domain import PASSWORD_MAX, Refused
from sipokat.identity.entrypoints.common import (
    Identity,
    account_of,
    address_of,
    invalid,
    throttled,
)
from sipokat.identity.handlers import (
    ActivationFailed,
    NoPost,
    RefreshRefused,
    Session,
    SignInFailed,
    Throttled,
)
from sipokat.runtime.auth import BEARER_CHALLENGE, CurrentPrincipal
from sipokat.runtime.messages import text
from sipokat.runtime.problems import AUTHENTICATED, Problem, problem_responses

router = APIRouter(prefix="/v1/auth", tags=["auth"])

Phone = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]
RefreshToken = Annotated[str, StringConstraints(min_length=1, max_length=200)]

SIGN_IN_FAILED = text(
    "the phone number or the password is wrong",
    "nomor telepon atau kata sandi salah",
)
NO_POST = text(
    "this account holds no post now; ask your admin",
    "akun ini sedang tidak memegang jabatan; hubungi admin",
)
REFRESH_REFUSED = {
    "unknown": text("the refresh token is not valid", "refresh token tidak valid"),
    "reused": text(
        "the refresh token was used before: the session is ended; sign in again",
        "refresh token sudah pernah dipakai: sesi diakhiri; silakan masuk lagi",
    ),
    "revoked": text(
        "the session is signed out; sign in again", "sesi sudah keluar; silakan masuk lagi"
    ),
    "expired": text(
        "the session has expired; sign in again", "sesi sudah kedaluwarsa; silakan masuk lagi"
    ),
    "no_post": NO_POST,
}
SIGN_IN_ANSWERS = problem_responses(
    {
        401: "Wrong phone number or password (the same answer for a number with no account)",
        403: "The account holds no post",
        422: "Not a phone number",
        429: "Too many failed attempts for this number or from this address (`Retry-After`)",
    }
)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignInBody(Body):
    phone: Phone = Field(examples=["0812-3456-7890"])
    password: Password


class ActivateBody(Body):
    phone: Phone
    code: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    password: Password = Field(description="the new password (or, for an RT head, PIN)")


class RefreshBody(Body):
    refresh_token: RefreshToken


class PasswordBody(Body):
    current_password: Password
    new_password: Password


class Tokens(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_token: str = Field(description="exchange it once at /v1/auth/refresh; kept secret")
    session_id: UUID


def tokens(session: Session) -> Tokens:
    return Tokens(
        access_token=session.access_token,
        expires_in=session.expires_in,
        refresh_token=session.refresh_token,
        session_id=session.session_id,
    )


def no_store(response: Response) -> None:
    # Tokens are credentials: no cache along the way keeps them (RFC 6749 §5.1).
    response.headers["Cache-Control"] = "no-store"


@router.post("/signin", responses=SIGN_IN_ANSWERS)
async def sign_in(
    body: SignInBody, context: Identity, request: Request, response: Response
) -> Tokens:
    try:
        session = await handlers.sign_in(
            context, body.phone, body.password, await address_of(request)
        )
    except Refused as refused:
        raise invalid(refused, "/phone") from None
    except Throttled as exc:
        raise throttled(exc) from None
    except SignInFailed:
        raise Problem(401, "Sign-in failed", SIGN_IN_FAILED) from None
    except NoPost:
        raise Problem(403, "Forbidden", NO_POST) from None
    no_store(response)
    return tokens(session)


@router.post(
    "/activate",
    responses=problem_responses(
        {
            401: "Wrong phone number or code, or the code has expired or been used",
            422: "Not a phone number, or the new password breaks the password rule",
            429: "Too many failed attempts (`Retry-After`)",
        }
    ),
)
async def activate(
    body: ActivateBody, context: Identity, request: Request, response: Response
) -> Tokens:
    """The one-time code the admin handed over, and the first password: signs in."""
    try:
        session = await handlers.activate(
            context, body.phone, body.code, body.password, await address_of(request)
        )
    except Refused as refused:
        pointer = "/phone" if refused.code == "phone_invalid" else "/password"
        raise invalid(refused, pointer) from None
    except Throttled as exc:
        raise throttled(exc) from None
    except ActivationFailed:
        raise Problem(
            401,
            "Activation failed",
            text(
                "the phone number or the code is wrong, or the code has expired or been used",
                "nomor telepon atau kode salah, atau kode sudah kedaluwarsa atau terpakai",
            ),
        ) from None
    except NoPost:
        raise Problem(403, "Forbidden", NO_POST) from None
    no_store(response)
    return tokens(session)


@router.post(
    "/refresh",
    responses=problem_responses(
        {401: "The refresh token is unknown, spent (the session is then ended), or expired"}
    ),
)
async def refresh(body: RefreshBody, context: Identity, response: Response) -> Tokens:
    """A new access token and a new refresh token; the one sent is spent. Sending a spent one
    again ends the whole session, on every device that shares it."""
    try:
        session = await handlers.refresh(context, body.refresh_token)
    except RefreshRefused as exc:
        raise Problem(
            401, "Unauthorized", REFRESH_REFUSED[exc.reason], headers=BEARER_CHALLENGE
        ) from None
    no_store(response)
    return tokens(session)


@router.post("/signout", status_code=204)
async def sign_out(body: RefreshBody, context: Identity) -> None:
    """Ends the session of this refresh token; an unknown one changes nothing."""
    await handlers.sign_out(context, body.refresh_token)


@router.post("/signout-all", responses=AUTHENTICATED)
async def sign_out_all(context: Identity, principal: CurrentPrincipal) -> dict[str, int]:
    """Ends every session of the caller's account (a lost phone). Access tokens already out
    stop working at identity at once and elsewhere within their few minutes."""
    account = await account_of(context, principal)
    return {"ended": await handlers.sign_out_everywhere(context, account["id"])}


@router.post(
    "/password",
    responses={
        **AUTHENTICATED,
        **problem_responses(
            {
                422: "The new password breaks the password rule",
                429: "Too many failed attempts (`Retry-After`)",
            }
        ),
    },
)
async def change_password(
    body: PasswordBody,
    context: Identity,
    principal: CurrentPrincipal,
    request: Request,
    response: Response,
) -> Tokens:
    """Needs the current password. Every session ends; the answer is a new one for this
    device."""
    account = await account_of(context, principal)
    try:
        session = await handlers.change_password(
            context,
            account["id"],
            body.current_password,
            body.new_password,
            await address_of(request),
        )
    except Refused as refused:
        raise invalid(refused, "/new_password") from None
    except Throttled as exc:
        raise throttled(exc) from None
    except SignInFailed:
        raise Problem(
            403,
            "Forbidden",
            text("the current password is wrong", "kata sandi saat ini salah"),
        ) from None
    except NoPost:
        raise Problem(403, "Forbidden", NO_POST) from None
    no_store(response)
    return tokens(session)
