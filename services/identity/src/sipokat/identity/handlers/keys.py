"""The signing keys: the one that signs now, rotation, and the JWKS of every key whose tokens may
still be in use."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import structlog

from sipokat.events.store.base import Document, ViewTransaction
from sipokat.identity import queries
from sipokat.identity.adapters.signing import SigningKey, new_private_pem
from sipokat.identity.handlers.context import (
    PUBLISH_LEEWAY,
    IdentityContext,
    write,
)
from sipokat.identity.queries import (
    SIGNING_KEYS,
    iso,
    when,
)
from sipokat.identity.settings import IdentitySettings

log = structlog.get_logger(__name__)


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

    await write(context, effect)
    log.info("identity.signing_key_rotated")


async def _all_keys(context: IdentityContext, tx: ViewTransaction) -> list[Document]:
    # The transaction reads by key: the kids come from the store, the documents from `tx`.
    kids = [doc["kid"] for doc in await queries.signing_keys(context.database.views)]
    found = await tx.get_many(SIGNING_KEYS, kids)
    return list(found.values())


async def jwks(context: IdentityContext) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in await published_keys(context)]}
