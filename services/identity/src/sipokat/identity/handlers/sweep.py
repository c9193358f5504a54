"""What sign-in leaves behind and no request will read again: sessions that ended (revoked or
past their end) with every refresh token of theirs, and the failed attempts of numbers and
addresses that the throttling window has forgotten. Run by identity's hourly sweep.

A city has thousands of sessions, not millions: the sweep reads each collection once (the
store filters by equality only) and deletes in transactions of `BATCH` documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from sipokat.events.store.base import Document, ViewTransaction
from sipokat.identity.handlers.context import IdentityContext, write
from sipokat.identity.queries import FAMILIES, REFRESH_TOKENS, THROTTLES, family_of, throttle_of

log = structlog.get_logger(__name__)

BATCH = 200
READ_AT_MOST = 200_000  # every document of a city's collection, with room to spare


@dataclass(frozen=True)
class Swept:
    sessions: int
    refresh_tokens: int
    throttles: int


async def _delete(
    context: IdentityContext,
    collection: str,
    keys: Sequence[str],
    still: Callable[[Document], bool] = lambda doc: True,
) -> None:
    """Delete `keys` whose document, read again in the transaction, is `still` to go (a
    number that failed again since it was read keeps its count)."""
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]

        async def effect(tx: ViewTransaction, batch: Sequence[str] = batch) -> None:
            for key, doc in (await tx.get_many(collection, batch)).items():
                if still(doc):
                    await tx.delete(collection, key)

        await write(context, effect)


async def sweep(context: IdentityContext) -> Swept:
    views = context.database.views
    now = context.clock()
    ended = {
        doc["id"]
        for doc in await views.find(FAMILIES, limit=READ_AT_MOST)
        if (family := family_of(doc)).revoked or now >= family.expires
    }
    # A spent token of an ended session then answers "unknown": the same 401 as "revoked".
    tokens = [
        doc["token"]
        for doc in await views.find(REFRESH_TOKENS, limit=READ_AT_MOST)
        if doc.get("family") in ended and "token" in doc
    ]
    await _delete(context, REFRESH_TOKENS, tokens)
    await _delete(context, FAMILIES, sorted(ended))

    rules = {"phone": context.settings.phone_rule(), "address": context.settings.address_rule()}

    def forgotten_by_now(doc: Document) -> bool:
        rule = rules.get(str(doc.get("key")).partition(":")[0])
        throttle = throttle_of(doc)
        return (
            rule is not None
            and throttle.current(rule, now).failures == 0
            and throttle.retry_after(now) is None
        )

    forgotten = [
        str(doc["key"])
        for doc in await views.find(THROTTLES, limit=READ_AT_MOST)
        if forgotten_by_now(doc)
    ]
    await _delete(context, THROTTLES, forgotten, still=forgotten_by_now)
    swept = Swept(len(ended), len(tokens), len(forgotten))
    log.info("identity.swept", **swept.__dict__)
    return swept
