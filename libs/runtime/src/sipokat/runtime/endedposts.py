"""Posts that ended lately, so every service refuses at once the tokens issued for them.

An identity access token is verified by each service alone and lives minutes; when an admin
ends a post, identity publishes `PostEnded` (`post.ended.<role>`). Each process keeps the posts
that ended within the longest access-token lifetime in memory (`EndedPosts`, one dict lookup
per request) and refuses an identity token whose account's post ended at or after the token
was issued (`iat <= ended_at`); a token of a later post (a new sign-in) passes.

`EndedPostsFeed` fills it: an exclusive, auto-delete queue of this process (so every replica
hears every event) bound to `post.ended.*` on the platform's exchange; on every (re)connection
it first asks identity what ended within the window (`GET /v1/auth/ended-posts`), so a process
that starts, or was cut off, late still knows. Identity out of reach does not stop the service:
the catch-up is retried in the background and the readiness check says `warn` meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
import structlog
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage

from sipokat.events.broker.connection import BrokerLink
from sipokat.events.broker.topology import Topology, declare_exchange
from sipokat.events.catalogue import PostEnded
from sipokat.events.envelope import Envelope
from sipokat.runtime.health import CheckResult

log = structlog.get_logger(__name__)

ROUTING_KEY = "post.ended.*"  # every role's
ENDED_POSTS_PATH = "/v1/auth/ended-posts"


class EndedPosts:
    """Account id -> when its post ended (epoch seconds), for the last `keep_seconds`.

    An entry older than that can refuse nothing: every token issued before it has expired (the
    window is the longest access-token lifetime plus a leeway), so it is forgotten."""

    def __init__(self, keep_seconds: float, *, clock: Callable[[], float] = time.time) -> None:
        self.keep_seconds = keep_seconds
        self._clock = clock
        self._ended: dict[str, float] = {}
        self._next_sweep = 0.0

    def __len__(self) -> int:
        return len(self._ended)

    def note(self, account_id: str, ended_at: float) -> None:
        now = self._clock()
        if ended_at < now - self.keep_seconds:
            return
        # The latest end covers every token issued before it.
        if ended_at > self._ended.get(account_id, float("-inf")):
            self._ended[account_id] = ended_at
        if now >= self._next_sweep:
            self._next_sweep = now + min(60.0, self.keep_seconds)
            oldest = now - self.keep_seconds
            for old in [a for a, ended in self._ended.items() if ended < oldest]:
                del self._ended[old]

    def refuses(self, account_id: str, issued_at: float) -> bool:
        """Whether a token of `account_id` issued at `issued_at` (its `iat`) was issued for a
        post that has ended since. `iat` has whole seconds: a token of the very second its
        post ended is refused too (the safe side; its holder signs in again)."""
        ended = self._ended.get(account_id)
        return ended is not None and issued_at <= ended


def ended_posts_url(jwks_url: str) -> str:
    """Identity's ended-posts route beside its JWKS (the same host: identity itself, or the
    gateway, which forwards `/v1/auth/*` to it)."""
    parts = urlsplit(jwks_url)
    return urlunsplit((parts.scheme, parts.netloc, ENDED_POSTS_PATH, "", ""))


class EndedPostsFeed:
    def __init__(
        self,
        posts: EndedPosts,
        rabbitmq_url: str,
        topology: Topology,
        identity_url: str,
        *,
        name: str,
        timeout_seconds: float = 5.0,
        max_backoff: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.posts = posts
        self.topology = topology
        self.identity_url = identity_url
        self._timeout = timeout_seconds
        self._max_backoff = max_backoff
        self._transport = transport
        self.listening = False  # this process's queue is bound and consumed
        self.caught_up = False  # identity answered since the last (re)connection
        self.last_error: str | None = None
        self.link = BrokerLink(rabbitmq_url, name, self._session)

    async def run(self, stop: asyncio.Event) -> None:
        await self.link.run(stop)

    async def check(self) -> CheckResult:
        if self.listening and self.caught_up:
            return CheckResult("pass", observed_value=len(self.posts))
        why = "not listening to post.ended" if not self.listening else "identity not asked yet"
        return CheckResult("warn", output=f"{why}: {self.last_error or 'connecting'}")

    async def _session(self, connection: AbstractConnection) -> None:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, self.topology)
        # The queue first, then identity: an end published in between is heard either way.
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=ROUTING_KEY)
        await queue.consume(self._on_message, no_ack=True)
        self.listening, self.caught_up = True, False
        try:
            await self._catch_up()
            await asyncio.Future()  # until the link ends the session
        finally:
            self.listening = False

    async def _catch_up(self) -> None:
        backoff = 1.0
        while True:
            try:
                await self.fetch()
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                self.last_error = f"identity's ended posts: {exc!r}"
                log.warning("ended_posts.catch_up_failed", url=self.identity_url, error=repr(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
            else:
                self.caught_up, self.last_error = True, None
                return

    async def fetch(self) -> int:
        """Note the posts identity says ended within the window; returns how many."""
        since = datetime.fromtimestamp(time.time() - self.posts.keep_seconds, UTC)
        async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as client:
            answer = await client.get(self.identity_url, params={"since": since.isoformat()})
            answer.raise_for_status()
        ended = answer.json()["ended_posts"]
        for post in ended:
            moment = datetime.fromisoformat(post["ended_at"]).timestamp()
            self.posts.note(str(post["account_id"]), moment)
        log.info("ended_posts.caught_up", count=len(ended))
        return len(ended)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            data = Envelope.from_json(message.body).data
        except Exception as exc:  # not ours to set aside: the event log keeps it
            log.warning("ended_posts.unreadable", error=repr(exc)[:200])
            return
        if isinstance(data, PostEnded):
            self.posts.note(str(data.account_id), data.ended_at.timestamp())
            log.info("ended_posts.noted", account=str(data.account_id))
