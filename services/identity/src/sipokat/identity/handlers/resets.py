"""Help nearby: a lurah, camat or admin resets the password of someone they help
(`domain.resets` says who), the accounts they help, and the record of every reset.

A reset is an activation again: the old password stops working at once, every session of the
account ends, and a one-time code (the activation code's alphabet and Argon2id hashing) lets its
holder set a new password at `POST /v1/auth/activate`, within `reset_code_minutes`. The record of
the reset (`resets`) keeps who, whom, when and when the code was used; never the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from uuid6 import uuid7

from sipokat.events.envelope import Role
from sipokat.events.store.base import Document, ViewTransaction
from sipokat.identity import queries
from sipokat.identity.domain import Post
from sipokat.identity.domain.resets import check_reset, mask_phone, sees
from sipokat.identity.handlers.accounts import new_code
from sipokat.identity.handlers.context import AccountNotFound, IdentityContext, NoPost, write
from sipokat.identity.handlers.sessions import sign_out_everywhere
from sipokat.identity.queries import ACCOUNTS, RESETS, current_post, iso, post_of, public_account
from sipokat.wilayah import within

log = structlog.get_logger(__name__)

# The store's `find` filters on top-level equality only, and an account's post is nested: the
# account list reads a city's accounts (hundreds to a few thousand) and filters them here.
SCAN_LIMIT = 20_000
# What the audit answers without `since`.
AUDIT_DEFAULT_DAYS = 365


@dataclass(frozen=True)
class ResetCode:
    record: Document  # the reset as recorded (no code in it)
    code: str  # shown once, to the helper, who hands it over
    expires: datetime


def latest_post(account: Document) -> Post | None:
    """The post the account holds, or else the last one it held (whose area decides whose
    business the account still is)."""
    post = post_of(account.get("post"))
    if post is not None:
        return post
    past = account.get("past_posts") or []
    return post_of(past[-1]) if past else None


def _actor_post(context: IdentityContext, actor: Document) -> Post:
    post = current_post(actor, context.clock())
    if post is None:
        raise NoPost
    return post


async def reset_password(context: IdentityContext, actor: Document, target_id: str) -> ResetCode:
    """`actor` is the caller's account, holding now the post its token names. `Refused` (the
    domain's reasons) or `AccountNotFound` when the target is not theirs to reset."""
    now = context.clock()
    post = _actor_post(context, actor)
    target = await queries.account(context.database.views, target_id)
    if target is None:
        raise AccountNotFound
    check_reset(actor["id"], post, target_id, latest_post(target), now)
    code = new_code()
    code_hash = await context.hasher.hash(code)
    expires = now + timedelta(minutes=context.settings.reset_code_minutes)
    reset_id = str(uuid7())

    async def effect(tx: ViewTransaction) -> Document | None:
        stored = await tx.get(ACCOUNTS, target_id)
        if stored is None:
            return None
        # Again on what the transaction reads: the post may have changed since.
        check_reset(actor["id"], post, target_id, latest_post(stored), now)
        whom = latest_post(stored)
        record: Document = {
            "id": reset_id,
            "actor": actor["id"],
            "actor_role": str(post.role),
            "actor_wilayah": post.wilayah,
            "target": target_id,
            "target_role": str(whom.role) if whom else None,
            "target_wilayah": whom.wilayah if whom else None,
            "at": iso(now),
            "month": now.strftime("%Y-%m"),  # what the audit finds by (`find` is equality)
            "expires": iso(expires),
            "used": None,
            "superseded": None,
        }
        previous = await tx.get(RESETS, stored["reset"]) if stored.get("reset") else None
        if previous is not None and previous["used"] is None:
            await tx.put(RESETS, previous["id"], {**previous, "superseded": iso(now)})
        await tx.put(
            ACCOUNTS,
            target_id,
            {
                **stored,
                # The old password stops working now: it was forgotten, or the phone is lost.
                "password_hash": None,
                "activation_hash": code_hash,
                "activation_expires": iso(expires),
                "reset": reset_id,  # activation marks this record used
            },
        )
        await tx.put(RESETS, reset_id, record)
        return record

    record = await write(context, effect)
    if record is None:
        raise AccountNotFound
    ended = await sign_out_everywhere(context, target_id)
    log.info(
        "identity.password_reset",
        reset=reset_id,
        actor=actor["id"],
        target=target_id,
        sessions_ended=ended,
    )
    return ResetCode(dict(record), code, expires)


def _shown(account: Document, admin: bool) -> Document:
    """An admin sees the whole account; a lurah or camat what tells the person in front of
    them from a namesake: name, post, whether activated, the phone number masked."""
    shown = public_account(account)
    if admin:
        return shown
    return {
        "id": shown["id"],
        "name": shown["name"],
        "phone": mask_phone(shown["phone"]),
        "post": shown["post"],
        "activated": shown["activated"],
    }


async def accounts_page(
    context: IdentityContext,
    actor: Document,
    *,
    role: Role | None,
    wilayah: str | None,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    """The accounts the caller helps (a lurah: the RT heads of their kelurahan; a camat: the
    lurah of their kecamatan; an admin: everyone), by account id, `limit` after `cursor` (the
    last id of the page before), narrowed to a current post's role and area."""
    now = context.clock()
    post = _actor_post(context, actor)
    admin = post.role is Role.ADMIN
    page: list[Document] = []
    more = False
    for account in await context.database.views.find(ACCOUNTS, limit=SCAN_LIMIT):
        if cursor is not None and account["id"] <= cursor:
            continue
        held = current_post(account, now)
        if not sees(post, held, now):
            continue
        if role is not None and (held is None or held.role is not role):
            continue
        if wilayah is not None and (
            held is None or held.wilayah is None or not within(held.wilayah, wilayah)
        ):
            continue
        if len(page) == limit:
            more = True
            break
        page.append(_shown(account, admin))
    return {"items": page, "next_cursor": page[-1]["id"] if more else None}


def _months(since: datetime, now: datetime) -> list[str]:
    months, year, month = [], since.year, since.month
    while (year, month) <= (now.year, now.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


async def resets_page(
    context: IdentityContext,
    actor: Document,
    *,
    target: str | None,
    since: datetime | None,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    """The record of resets, oldest first from `since` (default a year back): an admin's of
    everyone's, a lurah's or camat's of the resets they did; of one account with `target`."""
    now = context.clock()
    post = _actor_post(context, actor)
    start = since or now - timedelta(days=AUDIT_DEFAULT_DAYS)
    where: dict[str, str] = {}
    if post.role is not Role.ADMIN:
        where["actor"] = actor["id"]
    if target is not None:
        where["target"] = target
    # Months are searched from the first reset on, not from any `since` asked (year 1).
    oldest = await context.database.views.find(RESETS, where, limit=1)
    first = queries.when(oldest[0]["at"]) if oldest else None
    if first is None:
        return {"items": [], "next_cursor": None}
    page: list[Document] = []
    for month in _months(max(start, first), now):
        found = await context.database.views.find(
            RESETS, {**where, "month": month}, limit=SCAN_LIMIT
        )
        for record in found:
            at = queries.when(record["at"])
            if (cursor is not None and record["id"] <= cursor) or at is None or at < start:
                continue
            if len(page) == limit:
                return {"items": page, "next_cursor": page[-1]["id"]}
            page.append({k: v for k, v in record.items() if k != "month"})
    return {"items": page, "next_cursor": None}
