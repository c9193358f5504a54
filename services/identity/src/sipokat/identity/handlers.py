"""What identity does for each request: accounts and their posts, sign-in and its sessions, the
signing keys.

Every write is one `apply_once` transaction of identity's views store under a fresh id (a
command is no event: the id only makes it atomic), so two replicas rotating one refresh token
at the same moment cannot both win. Effects return their outcome through
`apply_once_returning`; what they read they read inside the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID, uuid4

import structlog
from uuid6 import uuid7

from sipokat.events.envelope import Role
from sipokat.events.store.base import Database, Document, ViewTransaction, apply_once_returning
from sipokat.identity import queries
from sipokat.identity.adapters.passwords import PasswordHasher
from sipokat.identity.adapters.signing import SigningKey, new_private_pem
from sipokat.identity.domain import (
    Family,
    LevelOf,
    Post,
    check_password,
    check_post,
    exchange,
    normalize_email,
    normalize_phone,
    revoked,
    rotated,
    throttle_key,
)
from sipokat.identity.queries import (
    ACCOUNTS,
    FAMILIES,
    PHONES,
    REFRESH_TOKENS,
    SIGNING_KEYS,
    THROTTLES,
    current_post,
    family_document,
    family_of,
    iso,
    post_document,
    throttle_document,
    throttle_of,
    when,
)
from sipokat.identity.settings import IdentitySettings

Clock = Callable[[], datetime]
log = structlog.get_logger(__name__)

# One-time codes: read aloud over a phone or copied from a screen, so no 0/O or 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31^10 ≈ 2^50, with the sign-in throttling on top
# A retired key stays published this long past its last token's expiry (clock skew, caches).
PUBLISH_LEEWAY = timedelta(minutes=5)


@dataclass(frozen=True)
class IdentityContext:
    """What identity's handlers and routes work with; built once at start-up by `bootstrap`."""

    settings: IdentitySettings
    clock: Clock
    database: Database
    hasher: PasswordHasher
    level_of: LevelOf  # the directory's: a post's wilayah must exist at its role's level
    # Parsed keys by kid: loading a PEM costs more than signing with it.
    parsed_keys: dict[str, SigningKey] = field(default_factory=dict)


class SignInFailed(Exception):
    """Wrong number, wrong password, no password yet: one answer for all, so it cannot tell
    whether a number has an account."""


class ActivationFailed(Exception):
    """Unknown number, wrong or expired code, or already activated: one answer for all."""


class Throttled(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class NoPost(Exception):
    """The account holds no post now: it has no role to sign in as."""


class RefreshRefused(Exception):
    def __init__(self, reason: Literal["unknown", "reused", "revoked", "expired", "no_post"]):
        super().__init__(reason)
        self.reason = reason


class PhoneTaken(Exception):
    pass


class AccountNotFound(Exception):
    pass


@dataclass(frozen=True)
class Session:
    """What a sign-in (or a refresh) answers; `refresh_token` is shown once, kept as a hash."""

    access_token: str
    refresh_token: str
    expires_in: int
    session_id: UUID


def token_hash(token: str) -> str:
    # Refresh tokens are 256 random bits: a fast hash is enough, and finds them by key.
    return hashlib.sha256(token.encode()).hexdigest()


async def _write(context: IdentityContext, effect: Callable[[ViewTransaction], Any]) -> Any:
    return await apply_once_returning(context.database.views, uuid7(), effect)


# --- signing keys -----------------------------------------------------------------------------


def _key_of(context: IdentityContext, doc: Document) -> SigningKey:
    key = context.parsed_keys.get(doc["kid"])
    retired = when(doc.get("retired"))
    if key is None or key.retired != retired:
        created = when(doc["created"])
        assert created is not None
        key = SigningKey(doc["kid"], doc["private_pem"], created, retired)
        context.parsed_keys[key.kid] = key
    return key


def _published_until(retired: datetime | None, settings: IdentitySettings) -> datetime | None:
    if retired is None:
        return None
    return retired + timedelta(minutes=settings.access_token_minutes) + PUBLISH_LEEWAY


async def published_keys(context: IdentityContext) -> list[SigningKey]:
    """The signing key and every retired one whose tokens may still be in use, newest first."""
    now = context.clock()
    keys = [_key_of(context, doc) for doc in await queries.signing_keys(context.database.views)]
    until = {key.kid: _published_until(key.retired, context.settings) for key in keys}
    live = [k for k in keys if (end := until[k.kid]) is None or now < end]
    return sorted(live, key=lambda k: k.created, reverse=True)


async def signing_key(context: IdentityContext) -> SigningKey:
    """The key that signs now; a new one when there is none yet or it is older than
    `signing_key_days` (the old one retires and stays published until its tokens expire)."""
    now = context.clock()
    age = timedelta(days=context.settings.signing_key_days)
    current = [k for k in await published_keys(context) if k.retired is None]
    if current and now - current[0].created < age:
        return current[0]
    await rotate_signing_key(context, only_if_older_than=age)
    current = [k for k in await published_keys(context) if k.retired is None]
    return current[0]


async def rotate_signing_key(
    context: IdentityContext, *, only_if_older_than: timedelta | None = None
) -> None:
    """A new key takes over signing. Made outside the transaction (a new RSA key is tens of
    milliseconds); inside, another replica's rotation that won first is kept instead."""
    now = context.clock()
    pem = new_private_pem()
    kid = uuid4().hex

    async def effect(tx: ViewTransaction) -> None:
        docs = await _all_keys(context, tx)
        signing = [d for d in docs if d.get("retired") is None]
        if only_if_older_than is not None and any(
            now - (when(d["created"]) or now) < only_if_older_than for d in signing
        ):
            return  # rotated already, by another request or replica
        for doc in signing:
            await tx.put(SIGNING_KEYS, doc["kid"], {**doc, "retired": iso(now)})
        for doc in docs:  # keys no token can name any more
            until = _published_until(when(doc.get("retired")), context.settings)
            if until is not None and until <= now:
                await tx.delete(SIGNING_KEYS, doc["kid"])
        await tx.put(
            SIGNING_KEYS,
            kid,
            {"kid": kid, "private_pem": pem, "created": iso(now), "retired": None},
        )

    await _write(context, effect)
    log.info("identity.signing_key_rotated")


async def _all_keys(context: IdentityContext, tx: ViewTransaction) -> list[Document]:
    # The transaction reads by key: the kids come from the store, the documents from `tx`.
    kids = [doc["kid"] for doc in await queries.signing_keys(context.database.views)]
    found = await tx.get_many(SIGNING_KEYS, kids)
    return list(found.values())


async def jwks(context: IdentityContext) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in await published_keys(context)]}


# --- sessions --------------------------------------------------------------------------------


async def _access_token(
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


async def _new_session(context: IdentityContext, account: Document, post: Post) -> Session:
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
            REFRESH_TOKENS, family.current, {"family": str(family.id), "account": account["id"]}
        )

    await _write(context, effect)
    access, expires_in = await _access_token(context, account, post, family.id)
    return Session(access, refresh, expires_in, family.id)


async def _check_throttles(context: IdentityContext, keys: list[str]) -> None:
    now = context.clock()
    waits = [(await queries.throttle(context.database.views, key)).retry_after(now) for key in keys]
    longest = max((w for w in waits if w is not None), default=None)
    if longest is not None:
        raise Throttled(longest)


async def _failed(context: IdentityContext, phone: str, address: str) -> None:
    now = context.clock()
    rules = {
        throttle_key("phone", phone): context.settings.phone_rule(),
        throttle_key("address", address): context.settings.address_rule(),
    }

    async def effect(tx: ViewTransaction) -> None:
        for key, rule in rules.items():
            throttle = throttle_of(await tx.get(THROTTLES, key)).failed(rule, now)
            await tx.put(THROTTLES, key, throttle_document(throttle))

    await _write(context, effect)


async def _succeeded(context: IdentityContext, phone: str) -> None:
    """A right password forgets the number's failures (not the address's: one device that
    guesses many numbers and gets one right is still guessing)."""
    key = throttle_key("phone", phone)
    if await context.database.views.get(THROTTLES, key) is None:
        return

    async def effect(tx: ViewTransaction) -> None:
        await tx.delete(THROTTLES, key)

    await _write(context, effect)


async def sign_in(context: IdentityContext, raw_phone: str, password: str, address: str) -> Session:
    phone = normalize_phone(raw_phone)
    await _check_throttles(
        context, [throttle_key("phone", phone), throttle_key("address", address)]
    )
    views = context.database.views
    account = await queries.account_by_phone(views, phone)
    hashed = account.get("password_hash") if account else None
    matches, new_hash = await context.hasher.verify(password, hashed)
    if account is None or not matches:
        await _failed(context, phone, address)
        log.info("identity.sign_in_failed")  # neither the number nor the password
        raise SignInFailed
    await _succeeded(context, phone)
    post = current_post(account, context.clock())
    if post is None:
        raise NoPost
    if new_hash is not None:
        await _set_fields(context, account["id"], {"password_hash": new_hash})
    log.info("identity.signed_in", account=account["id"])
    return await _new_session(context, account, post)


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
                {"family": str(family.id), "account": str(family.account)},
            )
        return outcome, family_doc

    outcome, family_doc = await _write(context, effect)
    if outcome != "rotate" or family_doc is None:
        if outcome == "reused":
            log.warning("identity.refresh_token_reused", session=family_doc and family_doc["id"])
        raise RefreshRefused(outcome)
    account = await queries.account(context.database.views, family_doc["account"])
    post = current_post(account, now) if account else None
    if account is None or post is None:
        await _revoke(context, [family_doc["id"]])
        raise RefreshRefused("no_post")
    access, expires_in = await _access_token(context, account, post, UUID(family_doc["id"]))
    return Session(access, replacement, expires_in, UUID(family_doc["id"]))


async def _revoke(context: IdentityContext, family_ids: list[str]) -> None:
    async def effect(tx: ViewTransaction) -> None:
        for family_id in family_ids:
            doc = await tx.get(FAMILIES, family_id)
            if doc is not None and not doc["revoked"]:
                await tx.put(FAMILIES, family_id, {**doc, "revoked": True})

    await _write(context, effect)


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


# --- accounts --------------------------------------------------------------------------------


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
) -> NewAccount:
    phone = normalize_phone(raw_phone)
    mail = normalize_email(email) if email else None
    check_post(role, wilayah, context.level_of)
    now = context.clock()
    code = new_code()
    expires = now + timedelta(hours=context.settings.activation_code_hours)
    code_hash = await context.hasher.hash(code)
    account_id = str(uuid4())
    account: Document = {
        "id": account_id,
        "name": name,
        "phone": phone,
        "email": mail,
        "post": post_document(Post(role, wilayah, now)),
        "past_posts": [],
        "created": iso(now),
        "password_hash": None,
        "activation_hash": code_hash,
        "activation_expires": iso(expires),
    }

    async def effect(tx: ViewTransaction) -> bool:
        if await tx.get(PHONES, phone) is not None:
            return False
        await tx.put(PHONES, phone, {"account": account_id})
        await tx.put(ACCOUNTS, account_id, account)
        return True

    if not await _write(context, effect):
        raise PhoneTaken
    log.info("identity.account_created", account=account_id, role=str(role), wilayah=wilayah)
    return NewAccount(account, code, expires)


async def activate(
    context: IdentityContext, raw_phone: str, code: str, password: str, address: str
) -> Session:
    """The one-time code an admin handed over sets the first password; answers a session.
    Throttled as sign-in is: a code is a password that works once."""
    phone = normalize_phone(raw_phone)
    await _check_throttles(
        context, [throttle_key("phone", phone), throttle_key("address", address)]
    )
    now = context.clock()
    account = await queries.account_by_phone(context.database.views, phone)
    code_hash = account.get("activation_hash") if account else None
    expires = when(account.get("activation_expires")) if account else None
    matches, _ = await context.hasher.verify(code.strip().upper(), code_hash)
    if account is None or not matches or expires is None or now >= expires:
        await _failed(context, phone, address)
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
            },
        )
        return True

    if not await _write(context, effect):
        raise ActivationFailed
    await _succeeded(context, phone)
    log.info("identity.account_activated", account=account["id"])
    return await _new_session(context, {**account, "password_hash": password_hash}, post)


async def change_password(
    context: IdentityContext, account_id: str, current: str, new: str, address: str
) -> Session:
    """Needs the current password; ends every session (a thief's too) and answers a new one
    for the device that changed it."""
    account = await queries.account(context.database.views, account_id)
    if account is None:
        raise AccountNotFound
    phone = account["phone"]
    await _check_throttles(
        context, [throttle_key("phone", phone), throttle_key("address", address)]
    )
    matches, _ = await context.hasher.verify(current, account.get("password_hash"))
    if not matches:
        await _failed(context, phone, address)
        raise SignInFailed
    post = current_post(account, context.clock())
    if post is None:
        raise NoPost
    check_password(new, post.role, phone)
    new_hash = await context.hasher.hash(new)
    await _set_fields(
        context, account_id, {"password_hash": new_hash, "password_changed": iso(context.clock())}
    )
    await sign_out_everywhere(context, account_id)
    return await _new_session(context, account, post)


async def _set_fields(context: IdentityContext, account_id: str, fields: Document) -> None:
    async def effect(tx: ViewTransaction) -> None:
        stored = await tx.get(ACCOUNTS, account_id)
        if stored is not None:
            await tx.put(ACCOUNTS, account_id, {**stored, **fields})

    await _write(context, effect)


async def end_post(context: IdentityContext, account_id: str) -> Document:
    """The holder leaves the post now: it goes to the account's past posts and every session
    ends (access tokens already out live their few minutes; identity's own routes refuse them
    at once)."""
    now = context.clock()

    async def effect(tx: ViewTransaction) -> Document | None:
        stored = await tx.get(ACCOUNTS, account_id)
        if stored is None:
            return None
        post = queries.post_of(stored.get("post"))
        if post is None:
            return stored
        ended = post_document(Post(post.role, post.wilayah, post.start, now))
        changed = {**stored, "post": None, "past_posts": [*stored.get("past_posts", []), ended]}
        await tx.put(ACCOUNTS, account_id, changed)
        return changed

    account = await _write(context, effect)
    if account is None:
        raise AccountNotFound
    await sign_out_everywhere(context, account_id)
    log.info("identity.post_ended", account=account_id)
    return dict(account)
