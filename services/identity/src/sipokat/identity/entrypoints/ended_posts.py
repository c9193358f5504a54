"""The posts that ended lately, for every service's runtime (`sipokat.runtime.endedposts`): a
service that starts, or reconnects to the broker, asks here what `PostEnded` events it may have
missed. And the job that sends the post events a request could not (handlers.post_events).

Public, like the JWKS: the services ask without a token, and what it shows (account ids and
when their posts ended) is less than `PostEnded` on the exchange shows integrators — no name,
phone number or email (docs/identity.md)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, Field

from sipokat.identity.entrypoints.common import Identity
from sipokat.identity.handlers import IdentityContext
from sipokat.identity.handlers.post_events import drop_old_ended_posts, send_post_events
from sipokat.identity.handlers.sweep import sweep
from sipokat.identity.queries import ENDED_POSTS_KEPT, ended_posts_since
from sipokat.runtime.messages import text
from sipokat.runtime.problems import field_problem
from sipokat.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1/auth", tags=["auth"])

SEND_EVERY_SECONDS = 5.0
SWEEP_EVERY = 720  # rounds of the sender: about an hour


# A moment with its time zone, as text: pydantic's datetime would also take a number (seconds).
ISO_MOMENT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"


def moment_of(since: str) -> datetime:
    try:
        return datetime.fromisoformat(since)
    except ValueError:  # the shape of one, not a real one (month 13)
        raise field_problem(
            "Invalid request",
            [
                {
                    "pointer": "/query/since",
                    "detail": text("not a moment in time", "bukan waktu yang sah"),
                    "code": "since_invalid",
                }
            ],
        ) from None


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
        str | None,
        Query(
            pattern=ISO_MOMENT,
            max_length=40,
            description="ISO 8601 with a time zone; none: 24 hours ago",
            examples=["2026-12-07T08:25:00Z"],
        ),
    ] = None,
) -> EndedPosts:
    """The accounts whose post ended at `since` or later (at most 24 hours back): a token such
    an account got before its post ended is refused by every service."""
    now = context.clock()
    moment = moment_of(since) if since is not None else now - ENDED_POSTS_KEPT
    found = await ended_posts_since(context.database.views, moment, now)
    response.headers["Cache-Control"] = "no-store"
    return EndedPosts(
        since=moment,
        until=now,
        ended_posts=[EndedPost(account_id=a, ended_at=e) for a, e in sorted(found.items())],
    )


async def post_event_sender(runtime: ServiceRuntime[IdentityContext], stop: asyncio.Event) -> None:
    """Appends the post events a request kept but could not send (a crash, a store fault), and
    hourly forgets what no request reads again: the hours of ended posts nobody can ask about
    any more, ended sessions and their refresh tokens, forgotten failed attempts."""
    rounds = 0
    while not stop.is_set():
        try:
            await send_post_events(runtime.context)
            if rounds % SWEEP_EVERY == 0:
                await drop_old_ended_posts(runtime.context)
                await sweep(runtime.context)
        except Exception as exc:  # the store is down: the next round tries again
            log.warning("identity.post_event_sender_failed", error=repr(exc))
        rounds += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SEND_EVERY_SECONDS)
