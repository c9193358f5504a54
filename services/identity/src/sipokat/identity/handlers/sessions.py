"""Sign-in and its sessions: access tokens, refresh-token families, sign-out, and the throttling
of failed attempts."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import structlog

from sipokat.events.store.base import Document, ViewTransaction
from sipokat.identity import queries
from sipokat.identity.domain import (
    Family,
    Post,
    exchange,
    normalize_phone,
    revoked,
    rotated,
    throttle_key,
)
from sipokat.identity.handlers.context import (
    IdentityContext,
    NoPost,
    RefreshRefused,
    Session,
    SignInFailed,
    Throttled,
    set_fields,
    token_hash,
    write,
)
from sipokat.identity.handlers.keys import signing_key
from sipokat.identity.queries import (
    FAMILIES,
    REFRESH_TOKENS,
    THROTTLES,
    current_post,
    family_document,
    family_of,
    refresh_token_document,
    throttle_document,
    throttle_of,
)

log = structlog.get_logger(__name__)


async def access_token(
    context: IdentityContext, account: Document, post: Post, family: UUID
) -> tuple[str, int]:
    settings = context.settings
    now = context.clock()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims: dict[str, Any] = {
        "iss": settings.identity_issuer,
        "aud": settings.jwt_audience,
        "sub": account["id"],
        "role": str(post.role),
        "name": account["name"],
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid4().hex,
        "sid": str(family),
    }
    if post.wilayah is not None:
        claims["wilayah"] = post.wilayah
    key = await signing_key(context)
    return key.sign(claims), int(lifetime.total_seconds())


async def new_session(context: IdentityContext, account: Document, post: Post) -> Session:
    now = context.clock()
    refresh = secrets.token_urlsafe(32)
    family = Family(
        id=uuid4(),
        account=UUID(account["id"]),
        current=token_hash(refresh),
        created=now,
        expires=now + timedelta(days=context.settings.refresh_token_days),
    )

    async def effect(tx: ViewTransaction) -> None:
        await tx.put(FAMILIES, str(family.id), family_document(family))
        await tx.put(
            REFRESH_TOKENS,
            family.current,
            refresh_token_document(family.current, str(family.id), account["id"]),
        )

    await write(context, effect)
    access, expires_in = await access_token(context, account, post, family.id)
    return Session(access, refresh, expires_in, family.id)


async def check_throttles(context: IdentityContext, keys: list[str]) -> None:
    now = context.clock()
    waits = [(await queries.throttle(context.database.views, key)).retry_after(now) for key in keys]
    longest = max((w for w in waits if w is not None), default=None)
    if longest is not None:
        raise Throttled(longest)


async def count_failure(context: IdentityContext, phone: str, address: str) -> None:
    now = context.clock()
    rules = {
        throttle_key("phone", phone): context.settings.phone_rule(),
        throttle_key("address", address): context.settings.address_rule(),
    }

    async def effect(tx: ViewTransaction) -> None:
        for key, rule in rules.items():
            throttle = throttle_of(await tx.get(THROTTLES, key)).failed(rule, now)
            await tx.put(THROTTLES, key, {**throttle_document(throttle), "key": key})

    await write(context, effect)


async def forget_failures(context: IdentityContext, phone: str) -> None:
    """A right password forgets the number's failures (not the address's: one device that
    guesses many numbers and gets one right is still guessing)."""
    key = throttle_key("phone", phone)
    if await context.database.views.get(THROTTLES, key) is None:
        return

    async def effect(tx: ViewTransaction) -> None:
        await tx.delete(THROTTLES, key)

    await write(context, effect)


async def sign_in(context: IdentityContext, raw_phone: str, password: str, address: str) -> Session:
    phone = normalize_phone(raw_phone)
    await check_throttles(context, [throttle_key("phone", phone), throttle_key("address", address)])
    views = context.database.views
    account = await queries.account_by_phone(views, phone)
    hashed = account.get("password_hash") if account else None
    matches, new_hash = await context.hasher.verify(password, hashed)
    if account is None or not matches:
        await count_failure(context, phone, address)
        log.info("identity.sign_in_failed")  # neither the number nor the password
        raise SignInFailed
    await forget_failures(context, phone)
    post = current_post(account, context.clock())
    if post is None:
        raise NoPost
    if new_hash is not None:
        await set_fields(context, account["id"], {"password_hash": new_hash})
    log.info("identity.signed_in", account=account["id"])
    return await new_session(context, account, post)


async def refresh(context: IdentityContext, token: str) -> Session:
    """Exchange the current refresh token of a family for a new pair; a spent one revokes the
    whole family (whoever copied it and whoever holds the live one both sign in again)."""
    now = context.clock()
    presented = token_hash(token)
    replacement = secrets.token_urlsafe(32)
    replacement_hash = token_hash(replacement)

    async def effect(tx: ViewTransaction) -> tuple[str, Document | None]:
        entry = await tx.get(REFRESH_TOKENS, presented)
        family_doc = await tx.get(FAMILIES, entry["family"]) if entry else None
        if entry is None or family_doc is None:
            return "unknown", None
        family = family_of(family_doc)
        outcome = exchange(family, presented, now)
        if outcome == "reused":
            await tx.put(FAMILIES, str(family.id), family_document(revoked(family)))
        elif outcome == "rotate":
            next_family = rotated(family, replacement_hash)
            await tx.put(FAMILIES, str(family.id), family_document(next_family))
            await tx.put(
                REFRESH_TOKENS,
                replacement_hash,
                refresh_token_document(replacement_hash, str(family.id), str(family.account)),
            )
        return outcome, family_doc

    outcome, family_doc = await write(context, effect)
    if outcome != "rotate" or family_doc is None:
        if outcome == "reused":
            log.warning("identity.refresh_token_reused", session=family_doc and family_doc["id"])
        raise RefreshRefused(outcome)
    account = await queries.account(context.database.views, family_doc["account"])
    post = current_post(account, now) if account else None
    if account is None or post is None:
        await _revoke(context, [family_doc["id"]])
        raise RefreshRefused("no_post")
    access, expires_in = await access_token(context, account, post, UUID(family_doc["id"]))
    return Session(access, replacement, expires_in, UUID(family_doc["id"]))


async def _revoke(context: IdentityContext, family_ids: list[str]) -> None:
    async def effect(tx: ViewTransaction) -> None:
        for family_id in family_ids:
            doc = await tx.get(FAMILIES, family_id)
            if doc is not None and not doc["revoked"]:
                await tx.put(FAMILIES, family_id, {**doc, "revoked": True})

    await write(context, effect)


async def sign_out(context: IdentityContext, token: str) -> None:
    """Ends the session of this refresh token (any of its family's: a spent one ends it too).
    An unknown token changes nothing and is no error: the client is signed out either way."""
    entry = await context.database.views.get(REFRESH_TOKENS, token_hash(token))
    if entry is not None:
        await _revoke(context, [entry["family"]])


async def sign_out_everywhere(context: IdentityContext, account_id: str) -> int:
    """Revokes every session of the account; how many there were."""
    ended = 0
    while families := await queries.live_families(context.database.views, account_id):
        await _revoke(context, [str(family.id) for family in families])
        ended += len(families)
    return ended
