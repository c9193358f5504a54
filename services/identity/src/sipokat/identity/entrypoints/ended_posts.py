"""The posts that ended lately, for every service's runtime (`sipokat.runtime.endedposts`): a
service that starts, or reconnects to the broker, asks here what `PostEnded` events it may have
missed. And the job that sends the post events a request could not (handlers.post_events).

Public, like the JWKS: the services ask without a token, and what it shows (account ids and
when their posts ended) is less than `PostEnded` on the exchange shows integrators — no name,
phone number or email (docs/identity.md)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import structlog
from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, Field

from sipokat.identity.entrypoints.common import Identity
from sipokat.identity.handlers import IdentityContext
from sipokat.identity.handlers.post_events import drop_old_ended_posts, send_post_events
from sipokat.identity.queries import ENDED_POSTS_KEPT, ended_posts_since
from sipokat.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1/auth", tags=["auth"])

SEND_EVERY_SECONDS = 5.0
SWEEP_EVERY = 720  # rounds of the sender: about an hour


class EndedPost(BaseModel):
    account_id: str
    ended_at: AwareDatetime


class EndedPosts(BaseModel):
    since: AwareDatetime = Field(description="as asked, or 24 hours ago if asked for earlier")
    until: AwareDatetime = Field(description="now: ask from here next time")
    ended_posts: list[EndedPost]


@router.get("/ended-posts")
async def ended_posts(
    context: Identity,
    response: Response,
    since: Annotated[
        AwareDatetime | None,
        Query(description="ISO 8601 with a time zone; none: 24 hours ago"),
    ] = None,
) -> EndedPosts:
    """The accounts whose post ended at `since` or later (at most 24 hours back): a token such
    an account got before its post ended is refused by every service."""
    now = context.clock()
    since = since or now - ENDED_POSTS_KEPT
    found = await ended_posts_since(context.database.views, since, now)
    response.headers["Cache-Control"] = "no-store"
    return EndedPosts(
        since=since,
        until=now,
        ended_posts=[EndedPost(account_id=a, ended_at=e) for a, e in sorted(found.items())],
    )


async def post_event_sender(runtime: ServiceRuntime[IdentityContext], stop: asyncio.Event) -> None:
    """Appends the post events a request kept but could not send (a crash, a store fault), and
    now and then forgets the hours of ended posts nobody can ask about any more."""
    rounds = 0
    while not stop.is_set():
        try:
            await send_post_events(runtime.context)
            if rounds % SWEEP_EVERY == 0:
                await drop_old_ended_posts(runtime.context)
        except Exception as exc:  # the store is down: the next round tries again
            log.warning("identity.post_event_sender_failed", error=repr(exc))
        rounds += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SEND_EVERY_SECONDS)
