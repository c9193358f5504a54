"""Request limits as plain ASGI middleware: body size (413) and per-client rate (429).

Both answer with RFC 9457 problem details before the application sees the request, so any
service can put them in front of its routes. Rate buckets live in the process: each replica
limits on its own, which bounds a client to replicas times the rate — enough to stop a runaway phone
retry loop, not meant as a billing quota.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sipokat.runtime.auth import VERIFIED_PRINCIPAL, CurrentPrincipal, Principal, TokenVerifier
from sipokat.runtime.messages import Text, negotiate, problem_kind, render, text
from sipokat.runtime.messages import title as translated_title
from sipokat.runtime.problems import PROBLEM_BASE, PROBLEM_JSON, Problem


def _accept_language(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            return str(value.decode("latin-1"))
    return None


async def send_problem(
    send: Send,
    scope: Scope,
    status: int,
    title: str,
    detail: Text | str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """A problem answered before the app sees the request, in the language it asks for."""
    language = negotiate(_accept_language(scope))
    body = json.dumps(
        {
            "type": PROBLEM_BASE + problem_kind(title),
            "title": translated_title(title, language),
            "status": status,
            "detail": render(detail, language),
            "instance": scope.get("path", ""),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"content-language", language.encode()),
                (b"vary", b"Accept-Language"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Problem):
    """Raised from `receive` once a streamed body passes the limit. As a `Problem`, the app's own
    handler answers it when the app was reading the body; the middleware answers otherwise."""

    def __init__(self, limit: int) -> None:
        self.text = text(
            "the request body may have at most {limit} bytes",
            "isi permintaan paling banyak {limit} byte",
            limit=limit,
        )
        super().__init__(413, "Content too large", self.text)


class BodySizeLimitMiddleware:
    """Refuses bodies above a limit with 413, by Content-Length or while the body streams in.

    `limits` gives larger allowances to path prefixes (uploads); the first matching prefix wins,
    otherwise `default_max_bytes` applies. A chunked body is counted as it arrives, so a client
    cannot get around the limit by leaving Content-Length out.
    """

    def __init__(
        self,
        app: ASGIApp,
        default_max_bytes: int,
        limits: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.app = app
        self.default_max_bytes = default_max_bytes
        self.limits = list(limits)

    def limit_for(self, path: str) -> int:
        for prefix, max_bytes in self.limits:
            if path.startswith(prefix):
                return max_bytes
        return self.default_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        too_large = BodyTooLarge(limit)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await send_problem(send, scope, 413, too_large.title, too_large.text)
                return
        received = 0
        started = exceeded = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise too_large
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                # FastAPI turns any error while reading a JSON body into a 400 "error parsing
                # the body": whatever the app answers to a body cut off here, the answer is 413.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await send_problem(send, scope, 413, too_large.title, too_large.text)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:  # the app already answered; nothing sensible is left to say
                raise
            await send_problem(send, scope, 413, too_large.title, too_large.text)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One token bucket per client: `rate` requests per second on average, bursts of `burst`.

    At most `max_clients` buckets are kept; the least recently used goes first, so a flood of
    fresh identities cannot grow memory without bound (a forgotten client starts full again).
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, client: str) -> float:
        """Take one token for `client`: 0.0 when allowed, else the seconds until one is free."""
        now = self.clock()
        bucket = self._buckets.pop(client, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[client] = bucket
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


def retry_after(wait: float) -> str:
    """Retry-After in whole seconds, never 0: a client told "0" retries at once."""
    return str(max(1, math.ceil(wait)))


# Identifies the client of a request for rate limiting; None exempts it (health probes). Async:
# verifying a token may wait for its issuer's keys (fetched off the event loop).
ClientIdentity = Callable[[Scope], Awaitable[str | None]]


async def client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return f"ip:{client[0]}" if client else None


def bearer_subject_or_address(
    verifier: TokenVerifier, exempt: Sequence[str] = ("/health", "/metrics")
) -> ClientIdentity:
    """The verified token's subject, else the peer address.

    Only a verified subject counts: an unverified `sub` would let anyone drain another user's
    bucket, or dodge their own with made-up names.
    """

    async def identify(scope: Scope) -> str | None:
        if str(scope.get("path", "")).startswith(tuple(exempt)):
            return None
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token:
                    try:
                        principal = await verifier.verify(token.strip())
                    except Problem:
                        break
                    # Kept for `authenticate`, so the token is verified once per request. A copy of
                    # the state: servers may hand every request the same lifespan-state dict.
                    scope["state"] = {**scope.get("state", {}), VERIFIED_PRINCIPAL: principal}
                    return f"sub:{principal.subject}"
        return await client_address(scope)

    return identify


def rate_limit(
    buckets: TokenBuckets, scope_name: str
) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that limits one kind of request per authenticated caller (e.g. uploads)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        wait = buckets.take(f"{scope_name}:{principal.subject}")
        if wait > 0:
            raise Problem(
                429,
                "Too many requests",
                text(
                    "slow down: the next {what} is allowed in {wait} s",
                    "terlalu cepat: {what} berikutnya boleh dikirim dalam {wait} detik",
                    what=scope_name,
                    wait=f"{wait:.1f}",
                ),
                headers={"Retry-After": retry_after(wait)},
            )
        return principal

    return check


class RateLimitMiddleware:
    """429 with Retry-After once a client has used up its bucket."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets, identify: ClientIdentity) -> None:
        self.app = app
        self.buckets = buckets
        self.identify = identify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = await self.identify(scope) if scope["type"] == "http" else None
        if client is not None:
            wait = self.buckets.take(client)
            if wait > 0:
                await send_problem(
                    send,
                    scope,
                    429,
                    "Too many requests",
                    text(
                        "slow down: the next request is allowed in {wait} s",
                        "terlalu cepat: permintaan berikutnya boleh dikirim dalam {wait} detik",
                        wait=f"{wait:.1f}",
                    ),
                    [(b"retry-after", retry_after(wait).encode())],
                )
                return
        await self.app(scope, receive, send)
