"""The posts that ended lately, in memory, and the refusal of identity tokens issued for them:
the map's rule (iat <= ended_at), its forgetting, the verifier with and without its cache, and
the catch-up from identity (an HTTP transport standing in for identity; the broker side is the
end-to-end test's, tests/e2e/test_post_ended_everywhere.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from sipokat.events.broker.topology import Topology
from sipokat.runtime.auth import TokenVerifier, mint_token
from sipokat.runtime.endedposts import EndedPosts, EndedPostsFeed, ended_posts_url
from sipokat.runtime.messages import render
from sipokat.runtime.problems import Problem
from sipokat.runtime.settings import ServiceSettings

ACCOUNT = "0193a1b2-0000-7000-8000-000000000007"
KID = "2026-12-a"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Clock:
    def __init__(self, now: float = 1_796_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_token_issued_until_the_post_ended_is_refused_a_later_one_is_not() -> None:
    posts = EndedPosts(65 * 60, clock=Clock())
    ended = 1_796_000_000.0
    assert not posts.refuses(ACCOUNT, ended - 300)  # nothing known yet
    posts.note(ACCOUNT, ended)
    assert posts.refuses(ACCOUNT, ended - 300)
    assert posts.refuses(ACCOUNT, ended)  # the same second: the safe side
    assert not posts.refuses(ACCOUNT, ended + 1)  # a sign-in to a new post
    assert not posts.refuses("another-account", ended - 300)
    posts.note(ACCOUNT, ended - 600)  # an older end (a late redelivery) moves nothing back
    assert posts.refuses(ACCOUNT, ended - 1)


def test_ends_older_than_the_longest_token_lifetime_are_forgotten() -> None:
    clock = Clock()
    posts = EndedPosts(65 * 60, clock=clock)
    posts.note(ACCOUNT, clock.now - 66 * 60)  # already past the window: not kept at all
    assert len(posts) == 0
    posts.note(ACCOUNT, clock.now)
    clock.now += 66 * 60
    posts.note("another-account", clock.now)  # a note sweeps what has aged out
    assert len(posts) == 1
    assert not posts.refuses(ACCOUNT, clock.now - 70 * 60)


@pytest.fixture
def jwks_url() -> Iterator[str]:
    public = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
    body = json.dumps({"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def settings(jwks_url: str) -> ServiceSettings:
    return ServiceSettings(
        jwt_secret=SecretStr("a-test-secret-of-at-least-32-bytes!"),
        identity_jwks_url=jwks_url,
        jwt_cache_seconds=60,
    )


def identity_token(issued: datetime, **overrides: Any) -> str:
    claims = {
        "iss": "sipokat-identity",
        "aud": "sipokat",
        "sub": ACCOUNT,
        "role": "ketua_rt",
        "wilayah": "16.73.02.1019/007",
        "iat": issued,
        "exp": issued + timedelta(minutes=10),
    } | overrides
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": KID})


async def test_an_identity_token_is_refused_once_its_post_ends_even_when_remembered(
    jwks_url: str,
) -> None:
    verifier = TokenVerifier(settings(jwks_url))
    issued = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    token = identity_token(issued)
    assert (await verifier.verify(token)).subject == ACCOUNT  # verified, and remembered

    verifier.ended_posts.note(ACCOUNT, (issued + timedelta(minutes=1)).timestamp())
    with pytest.raises(Problem) as caught:
        await verifier.verify(token)
    assert caught.value.status == 401
    assert "WWW-Authenticate" in (caught.value.headers or {})
    assert render(caught.value.detail, "en") == (
        "the post this token was issued for has ended; sign in again"
    )
    assert render(caught.value.detail, "id") == (
        "jabatan untuk token ini sudah berakhir; silakan masuk lagi"
    )
    # Not only the remembered token: a fresh verifier sharing the map refuses it too, the
    # map handed over empty and filled later (as the runtime's is, once started).
    shared = EndedPosts(65 * 60)
    fresh = TokenVerifier(settings(jwks_url), shared)
    assert fresh.ended_posts is shared
    shared.note(ACCOUNT, (issued + timedelta(minutes=1)).timestamp())
    with pytest.raises(Problem):
        await fresh.verify(token)

    # A sign-in after the end (a new post) passes; so do other issuers' tokens of that `sub`,
    # which name no account of identity's.
    later = identity_token(issued + timedelta(minutes=1, seconds=1), wilayah="16.73.02.1019/008")
    assert (await verifier.verify(later)).wilayah == "16.73.02.1019/008"
    dev = mint_token(settings(jwks_url), subject=ACCOUNT, role="ketua_rt")
    assert (await verifier.verify(dev)).subject == ACCOUNT


async def test_an_identity_token_without_iat_is_refused(jwks_url: str) -> None:
    verifier = TokenVerifier(settings(jwks_url))
    with pytest.raises(Problem) as caught:
        await verifier.verify(identity_token(datetime.now(UTC), iat=None))
    assert caught.value.status == 401
    assert "iat" in render(caught.value.detail, "en")


def test_the_catch_up_route_is_beside_the_jwks() -> None:
    assert ended_posts_url("http://identity:8004/.well-known/jwks.json") == (
        "http://identity:8004/v1/auth/ended-posts"
    )
    assert ended_posts_url("https://kota.example/.well-known/jwks.json?x=1") == (
        "https://kota.example/v1/auth/ended-posts"
    )


async def test_the_feed_learns_from_identity_what_ended_while_it_was_away() -> None:
    ended = datetime.now(UTC) - timedelta(minutes=3)
    asked: list[httpx.Request] = []

    def identity(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        if len(asked) == 1:
            return httpx.Response(503)
        posts = [{"account_id": ACCOUNT, "ended_at": ended.isoformat()}]
        return httpx.Response(200, json={"ended_posts": posts})

    posts = EndedPosts(65 * 60)
    feed = EndedPostsFeed(
        posts,
        "amqp://guest:guest@127.0.0.1:1/",  # never connected in this test
        Topology("unused"),
        "http://identity/v1/auth/ended-posts",
        name="test",
        transport=httpx.MockTransport(identity),
    )
    warned = await feed.check()
    assert warned.status == "warn"  # not listening yet: ready, with a warning

    with pytest.raises(httpx.HTTPStatusError):
        await feed.fetch()  # identity down: the caller retries
    assert await feed.fetch() == 1
    assert posts.refuses(ACCOUNT, (ended - timedelta(minutes=1)).timestamp())
    since = datetime.fromisoformat(asked[-1].url.params["since"])
    window = datetime.now(UTC) - since
    assert timedelta(minutes=64) < window < timedelta(minutes=66)
