"""What the routes share: the context, the caller's address, the account behind a token, and
a domain refusal as a problem."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sipokat.events.store.base import Document
from sipokat.identity import queries
from sipokat.identity.domain import RULES, Refused
from sipokat.identity.handlers import IdentityContext, Throttled
from sipokat.runtime.auth import BEARER_CHALLENGE, Principal
from sipokat.runtime.limits import client_address
from sipokat.runtime.messages import Text, text
from sipokat.runtime.problems import Problem, field_problem
from sipokat.runtime.service import context_of

Identity = Annotated[IdentityContext, Depends(context_of(IdentityContext))]


async def address_of(request: Request) -> str:
    """The client's address, as the rate limiter sees it (behind the gateway, the one it
    forwards from an allowed proxy)."""
    return await client_address(request.scope) or "unknown"


def refusal(refused: Refused) -> Text:
    english, indonesian = RULES[refused.code]
    return text(english, indonesian, **refused.params)


def invalid(refused: Refused, field: str) -> Problem:
    """A 422 naming the body's field the rule refused, as a request's validation does."""
    return field_problem(
        "Invalid request",
        [{"pointer": f"/body{field}", "detail": refusal(refused), "code": refused.code}],
    )


def throttled(exc: Throttled) -> Problem:
    seconds = max(1, round(exc.retry_after))
    return Problem(
        429,
        "Too many requests",
        text(
            "too many failed attempts; try again in {seconds} seconds",
            "terlalu banyak percobaan gagal; coba lagi dalam {seconds} detik",
            seconds=seconds,
        ),
        headers={"Retry-After": str(seconds)},
    )


def phone_taken() -> Problem:
    return Problem(
        409,
        "Conflict",
        text("this phone number has an account already", "nomor telepon ini sudah memiliki akun"),
    )


POST_ENDED = text(
    "this token's account no longer holds the post it was signed for; sign in again",
    "akun token ini tidak lagi memegang jabatan yang tertera; silakan masuk lagi",
)


async def account_of(context: IdentityContext, principal: Principal) -> Document:
    """The caller's account, holding now the post the token names: a token of a post that has
    ended (or of no account of ours) is refused here at once, not when it expires."""
    account = await queries.account(context.database.views, principal.subject)
    post = queries.current_post(account, context.clock()) if account else None
    if (
        account is None
        or post is None
        or post.role != principal.role
        or post.wilayah != principal.wilayah
    ):
        raise Problem(401, "Unauthorized", POST_ENDED, headers=BEARER_CHALLENGE)
    return account
