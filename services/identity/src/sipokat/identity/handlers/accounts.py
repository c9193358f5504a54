"""Accounts and their posts: creation with a one-time activation code, activation, a changed
password, the end of a post."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

import structlog

from sipokat.events.envelope import Actor, Role
from sipokat.events.store.base import Document, ViewTransaction
from sipokat.identity import queries
from sipokat.identity.domain import (
    Post,
    check_password,
    check_post,
    normalize_email,
    normalize_phone,
    throttle_key,
)
from sipokat.identity.handlers.context import (
    CODE_ALPHABET,
    CODE_LENGTH,
    AccountNotFound,
    ActivationFailed,
    IdentityContext,
    NoPost,
    PhoneTaken,
    Session,
    SignInFailed,
    set_fields,
    write,
)
from sipokat.identity.handlers.post_events import (
    IDENTITY,
    post_ended,
    post_started,
    send_after_commit,
)
from sipokat.identity.handlers.sessions import (
    check_throttles,
    count_failure,
    forget_failures,
    new_session,
    sign_out_everywhere,
)
from sipokat.identity.queries import (
    ACCOUNTS,
    PHONES,
    RESETS,
    account_document,
    current_post,
    iso,
    post_document,
    when,
)

log = structlog.get_logger(__name__)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class NewAccount:
    account: Document
    activation_code: str  # shown once, to the admin who created the account
    activation_expires: datetime


async def create_account(
    context: IdentityContext,
    *,
    name: str,
    raw_phone: str,
    email: str | None,
    role: Role,
    wilayah: str | None,
    by: Actor = IDENTITY,
) -> NewAccount:
    phone = normalize_phone(raw_phone)
    mail = normalize_email(email) if email else None
    check_post(role, wilayah, context.level_of)
    now = context.clock()
    code = new_code()
    expires = now + timedelta(hours=context.settings.activation_code_hours)
    code_hash = await context.hasher.hash(code)
    account_id = str(uuid4())
    post = Post(role, wilayah, now)
    account = account_document(
        account_id,
        name=name,
        phone=phone,
        email=mail,
        post=post,
        now=now,
        activation_hash=code_hash,
        activation_expires=expires,
    )

    async def effect(tx: ViewTransaction) -> bool:
        if await tx.get(PHONES, phone) is not None:
            return False
        await tx.put(PHONES, phone, {"account": account_id})
        await tx.put(ACCOUNTS, account_id, account)
        await post_started(tx, account_id, post, by)  # the event, in the same transaction
        return True

    if not await write(context, effect):
        raise PhoneTaken
    await send_after_commit(context, account_id)
    log.info("identity.account_created", account=account_id, role=str(role), wilayah=wilayah)
    return NewAccount(account, code, expires)


async def activate(
    context: IdentityContext, raw_phone: str, code: str, password: str, address: str
) -> Session:
    """The one-time code an admin handed over sets the first password; answers a session.
    Throttled as sign-in is: a code is a password that works once."""
    phone = normalize_phone(raw_phone)
    await check_throttles(context, [throttle_key("phone", phone), throttle_key("address", address)])
    now = context.clock()
    account = await queries.account_by_phone(context.database.views, phone)
    code_hash = account.get("activation_hash") if account else None
    expires = when(account.get("activation_expires")) if account else None
    matches, _ = await context.hasher.verify(code.strip().upper(), code_hash)
    if account is None or not matches or expires is None or now >= expires:
        await count_failure(context, phone, address)
        raise ActivationFailed
    post = current_post(account, now)
    if post is None:
        raise NoPost
    check_password(password, post.role, phone)
    password_hash = await context.hasher.hash(password)

    async def effect(tx: ViewTransaction) -> bool:
        stored = await tx.get(ACCOUNTS, account["id"])
        if stored is None or stored.get("activation_hash") != code_hash:
            return False  # used by a request that won the race
        await tx.put(
            ACCOUNTS,
            account["id"],
            {
                **stored,
                "password_hash": password_hash,
                "activation_hash": None,
                "activation_expires": None,
                "password_changed": iso(now),
                "reset": None,
            },
        )
        # A reset's code (handlers/resets.py) is spent the same way: its record says when.
        reset = await tx.get(RESETS, stored["reset"]) if stored.get("reset") else None
        if reset is not None:
            await tx.put(RESETS, reset["id"], {**reset, "used": iso(now)})
        return True

    if not await write(context, effect):
        raise ActivationFailed
    await forget_failures(context, phone)
    log.info("identity.account_activated", account=account["id"])
    return await new_session(context, {**account, "password_hash": password_hash}, post)


async def change_password(
    context: IdentityContext, account_id: str, current: str, new: str, address: str
) -> Session:
    """Needs the current password; ends every session (a thief's too) and answers a new one
    for the device that changed it."""
    account = await queries.account(context.database.views, account_id)
    if account is None:
        raise AccountNotFound
    phone = account["phone"]
    await check_throttles(context, [throttle_key("phone", phone), throttle_key("address", address)])
    matches, _ = await context.hasher.verify(current, account.get("password_hash"))
    if not matches:
        await count_failure(context, phone, address)
        raise SignInFailed
    post = current_post(account, context.clock())
    if post is None:
        raise NoPost
    check_password(new, post.role, phone)
    new_hash = await context.hasher.hash(new)
    await set_fields(
        context, account_id, {"password_hash": new_hash, "password_changed": iso(context.clock())}
    )
    await sign_out_everywhere(context, account_id)
    return await new_session(context, account, post)


async def end_post(context: IdentityContext, account_id: str, by: Actor = IDENTITY) -> Document:
    """The holder leaves the post now: it goes to the account's past posts and every session
    ends. Its `PostEnded` event makes every service refuse the access tokens already out
    (`sipokat.runtime.endedposts`); identity's own routes refuse them by the account."""
    now = context.clock()

    async def effect(tx: ViewTransaction) -> Document | None:
        stored = await tx.get(ACCOUNTS, account_id)
        if stored is None:
            return None
        post = queries.post_of(stored.get("post"))
        if post is None:
            return stored
        ended = Post(post.role, post.wilayah, post.start, now)
        past = [*stored.get("past_posts", []), post_document(ended)]
        changed = {**stored, "post": None, "past_posts": past}
        await tx.put(ACCOUNTS, account_id, changed)
        await post_ended(tx, account_id, ended, by)  # the event, in the same transaction
        return changed

    account = await write(context, effect)
    if account is None:
        raise AccountNotFound
    await send_after_commit(context, account_id)
    await sign_out_everywhere(context, account_id)
    log.info("identity.post_ended", account=account_id)
    return dict(account)
