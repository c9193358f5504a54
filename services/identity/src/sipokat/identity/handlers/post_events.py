"""Post changes as events on the platform's exchange (issue 22, items 1 and 5): `PostStarted`
when an account takes up a post, `PostEnded` when it leaves one. They carry the account id, the
role, the wilayah and the times, never a name, phone number or email (docs/identity.md).

Identity's accounts live in its views store, its events in its event store: two stores, and no
transaction spans both. So the effect that changes a post also puts the event, ready to append
(its id and stream version fixed), into `POST_EVENTS` in the same transaction: a change is never
kept without its event, nor an event without its change. After the commit `send_post_events`
appends it to the event store (the outbox the relay publishes) and drops the document; a crash
or a store fault in between leaves the document, and the sender job (`entrypoints.ended_posts`)
appends it later. Appending it twice changes nothing (its event id is taken).

A `PostEnded` is also kept by the hour in `ENDED_POSTS`, which `GET /v1/auth/ended-posts`
reads: how a service that starts late learns the posts that ended while it was away.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import structlog

from sipokat.events.catalogue import PostEnded, PostEvent, PostStarted
from sipokat.events.envelope import Actor, Envelope, Role
from sipokat.events.store.base import ConcurrencyConflict, Document, ViewTransaction
from sipokat.identity.domain import Post
from sipokat.identity.handlers.context import IdentityContext, write
from sipokat.identity.queries import (
    ENDED_POSTS,
    ENDED_POSTS_KEPT,
    POST_EVENTS,
    POST_STREAMS,
    ended_posts_bucket,
    iso,
)

log = structlog.get_logger(__name__)

SOURCE = "identity"
# Who changed a post when the caller does not say: identity itself.
IDENTITY = Actor(subject="identity", role=Role.SYSTEM)
BATCH = 500


def _correlation_id() -> str:
    # The request's, bound by the runtime's middleware: the event joins the request's chain.
    bound = structlog.contextvars.get_contextvars().get("correlation_id")
    return bound if isinstance(bound, str) and bound else f"identity-{uuid4().hex[:12]}"


async def _keep(tx: ViewTransaction, data: PostEvent, by: Actor, at: datetime) -> None:
    account_id = str(data.account_id)
    stream = await tx.get(POST_STREAMS, account_id)
    version = int(stream["version"]) + 1 if stream else 1
    envelope = Envelope.wrap(
        data,
        stream_version=version,
        source=SOURCE,
        actor=by,
        correlation_id=_correlation_id(),
        occurred_at=at,
    )
    await tx.put(POST_STREAMS, account_id, {"version": version})
    key = f"{account_id}/{version:012d}"  # by key: an account's events in order
    await tx.put(
        POST_EVENTS, key, {"key": key, "account": account_id, "event": envelope.to_json().decode()}
    )


async def post_started(
    tx: ViewTransaction, account_id: str, post: Post, by: Actor = IDENTITY
) -> None:
    """Inside the transaction that gives `account_id` its post: the event that says so."""
    data = PostStarted(
        account_id=UUID(account_id), role=post.role, wilayah=post.wilayah, started_at=post.start
    )
    await _keep(tx, data, by, post.start)


async def new_accounts_started(
    tx: ViewTransaction, posts: Mapping[str, Post], by: Actor = IDENTITY
) -> None:
    """`post_started` for accounts made in this transaction (a roster batch): each event is
    the first of its account's stream, written in two round trips for the whole batch."""
    streams: dict[str, Document] = {}
    kept: dict[str, Document] = {}
    cid = _correlation_id()
    for account_id, post in posts.items():
        data = PostStarted(
            account_id=UUID(account_id), role=post.role, wilayah=post.wilayah, started_at=post.start
        )
        envelope = Envelope.wrap(
            data,
            stream_version=1,
            source=SOURCE,
            actor=by,
            correlation_id=cid,
            occurred_at=post.start,
        )
        key = f"{account_id}/{1:012d}"
        streams[account_id] = {"version": 1}
        kept[key] = {"key": key, "account": account_id, "event": envelope.to_json().decode()}
    await tx.put_many(POST_STREAMS, streams)
    await tx.put_many(POST_EVENTS, kept)


async def post_ended(
    tx: ViewTransaction, account_id: str, post: Post, by: Actor = IDENTITY
) -> None:
    """Inside the transaction that ends `post` (its `end` set): the event, and the entry that
    `GET /v1/auth/ended-posts` answers from."""
    assert post.end is not None
    data = PostEnded(
        account_id=UUID(account_id),
        role=post.role,
        wilayah=post.wilayah,
        started_at=post.start,
        ended_at=post.end,
    )
    await _keep(tx, data, by, post.end)
    bucket = ended_posts_bucket(post.end)
    stored = await tx.get(ENDED_POSTS, bucket)
    posts = dict(stored["posts"]) if stored else {}
    posts[account_id] = iso(post.end)  # the latest end: it covers every token before it
    await tx.put(ENDED_POSTS, bucket, {"bucket": bucket, "posts": posts})


async def send_post_events(context: IdentityContext, account_id: str | None = None) -> int:
    """Append the kept events (of one account, or all) to the event store, in each account's
    order, and drop them; returns how many went. What cannot go now stays for the next try."""
    views = context.database.views
    where = {"account": account_id} if account_id is not None else None
    pending = await views.find(POST_EVENTS, where, limit=BATCH)
    append = context.append or context.database.events.append
    stuck: set[str] = set()
    sent: list[str] = []
    try:
        for doc in pending:
            if doc["account"] in stuck:
                continue  # a later event of an account waits for its earlier one
            try:
                await append([Envelope.from_json(doc["event"])])
            except ConcurrencyConflict as exc:
                # Only when an earlier event of the stream is missing: never expected; kept.
                stuck.add(doc["account"])
                log.error(
                    "identity.post_event_out_of_order", account=doc["account"], error=str(exc)
                )
                continue
            sent.append(doc["key"])
    finally:
        if sent:  # one write for all: what was appended is dropped even if a later one failed
            await _forget(context, sent)
    return len(sent)


async def _forget(context: IdentityContext, keys: list[str]) -> None:
    async def effect(tx: ViewTransaction) -> None:
        for key in keys:
            await tx.delete(POST_EVENTS, key)

    await write(context, effect)


async def send_after_commit(context: IdentityContext, account_id: str | None) -> None:
    """`send_post_events` for the account a request just changed (None: every account, after
    a batch); a fault is left to the sender job, as the change itself is kept (the request
    succeeded)."""
    try:
        await send_post_events(context, account_id)
    except Exception as exc:  # the store or the relay's wake-up: retried by the job
        log.warning("identity.post_events_deferred", account=account_id, error=repr(exc))


async def drop_old_ended_posts(context: IdentityContext) -> int:
    """Forget the hours of ended posts no service can still ask about."""
    oldest_kept = ended_posts_bucket(context.clock() - ENDED_POSTS_KEPT - timedelta(hours=1))
    docs: list[Document] = await context.database.views.find(ENDED_POSTS, limit=100)
    old = [doc["bucket"] for doc in docs if doc["bucket"] < oldest_kept]  # keys sort by time

    async def effect(tx: ViewTransaction) -> None:
        for bucket in old:
            await tx.delete(ENDED_POSTS, bucket)

    if old:
        await write(context, effect)
    return len(old)
