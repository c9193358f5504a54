"""A new post for an account that holds none: a lurah who moved to another kelurahan, an RT
head elected again after a term out. One post at a time: the current one ends first
(`accounts.end_post`), so every change of hands is two steps an admin sees."""

from __future__ import annotations

import structlog

from sipokat.events.envelope import Actor, Role
from sipokat.events.store.base import Document, ViewTransaction
from sipokat.identity.domain import Post, check_post
from sipokat.identity.handlers.context import AccountNotFound, IdentityContext, write
from sipokat.identity.handlers.post_events import IDENTITY, post_started, send_after_commit
from sipokat.identity.queries import ACCOUNTS, current_post, post_document

log = structlog.get_logger(__name__)


class PostHeld(Exception):
    """The account holds a post now: it ends before another starts."""


async def start_post(
    context: IdentityContext,
    account_id: str,
    role: Role,
    wilayah: str | None,
    by: Actor = IDENTITY,
) -> Document:
    check_post(role, wilayah, context.level_of)
    now = context.clock()

    async def effect(tx: ViewTransaction) -> Document | PostHeld | None:
        stored = await tx.get(ACCOUNTS, account_id)
        if stored is None:
            return None
        if current_post(stored, now) is not None:
            return PostHeld()
        post = Post(role, wilayah, now)
        changed = {**stored, "post": post_document(post)}
        await tx.put(ACCOUNTS, account_id, changed)
        await post_started(tx, account_id, post, by)  # the event, in the same transaction
        return changed

    outcome = await write(context, effect)
    if outcome is None:
        raise AccountNotFound
    if isinstance(outcome, PostHeld):
        raise outcome
    await send_after_commit(context, account_id)
    log.info("identity.post_started", account=account_id, role=str(role), wilayah=wilayah)
    return dict(outcome)
