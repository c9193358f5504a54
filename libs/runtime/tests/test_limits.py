"""Body-size and rate limits: 413 and 429 problem details before the app does any work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import jwt
from fastapi import Depends, FastAPI, Request

from sipokat.events.envelope import Role
from sipokat.runtime.auth import CurrentPrincipal, Principal, TokenVerifier, mint_token
from sipokat.runtime.limits import (
    BodySizeLimitMiddleware,
    RateLimitMiddleware,
    TokenBuckets,
    bearer_subject_or_address,
    rate_limit,
)
from sipokat.runtime.problems import install_problem_handlers
from sipokat.runtime.settings import ServiceSettings

SETTINGS = ServiceSettings()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def echo_app() -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(SETTINGS)
    install_problem_handlers(app)
    app.state.seen = 0

    @app.post("/{path:path}")
    async def echo(request: Request) -> dict[str, int]:
        request.app.state.seen += 1
        return {"length": len(await request.body())}

    return app


def client_of(app: FastAPI | BodySizeLimitMiddleware | RateLimitMiddleware) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://limits")


def token(subject: str) -> dict[str, str]:
    minted = mint_token(SETTINGS, subject=subject, role=Role.KETUA_RT, wilayah="16.73.02.1019/007")
    return {"Authorization": f"Bearer {minted}"}


# ---------------------------------------------------------------- body size


async def test_a_body_within_the_limit_passes_and_one_above_is_413() -> None:
    app = echo_app()
    limited = BodySizeLimitMiddleware(app, default_max_bytes=100)
    async with client_of(limited) as client:
        assert (await client.post("/x", content=b"a" * 100)).json() == {"length": 100}
        refused = await client.post("/x", content=b"a" * 101)
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "the request body may have at most 100 bytes"
    assert app.state.seen == 1


async def test_a_chunked_body_without_content_length_is_counted_as_it_streams() -> None:
    limited = BodySizeLimitMiddleware(echo_app(), default_max_bytes=1000)

    async def chunks(count: int) -> AsyncIterator[bytes]:
        for _ in range(count):
            yield b"b" * 300

    async with client_of(limited) as client:
        refused = await client.post("/x", content=chunks(5))
        accepted = await client.post("/x", content=chunks(3))
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "Content too large"
    assert accepted.json() == {"length": 900}


async def test_a_path_prefix_gets_its_own_allowance() -> None:
    limited = BodySizeLimitMiddleware(echo_app(), 10, limits=[("/v1/attachments", 1000)])
    async with client_of(limited) as client:
        assert (await client.post("/v1/attachments", content=b"c" * 500)).status_code == 200
        assert (await client.post("/v1/reports", content=b"c" * 500)).status_code == 413


# ---------------------------------------------------------------- token buckets


def test_a_bucket_allows_a_burst_then_one_request_per_interval() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=2, burst=3, clock=clock)
    assert [buckets.take("rt-7") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("rt-7") == 0.5
    assert buckets.take("rt-8") == 0  # another client has its own bucket
    clock.now += 0.5
    assert buckets.take("rt-7") == 0
    assert buckets.take("rt-7") > 0


def test_the_least_recently_used_client_is_forgotten_beyond_the_cap() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=1, burst=1, max_clients=2, clock=clock)
    buckets.take("a")
    buckets.take("b")
    buckets.take("c")  # pushes out "a", which starts full again
    assert buckets.take("a") == 0
    assert buckets.take("c") > 0


# ---------------------------------------------------------------- rate limit middleware


async def test_429_with_retry_after_once_the_bucket_is_empty() -> None:
    app = echo_app()
    buckets = TokenBuckets(rate=0.1, burst=2, clock=FakeClock())
    limited = RateLimitMiddleware(app, buckets, bearer_subject_or_address(TokenVerifier(SETTINGS)))
    async with client_of(limited) as client:
        for _ in range(2):
            assert (await client.post("/x", headers=token("rt-7"))).status_code == 200
        refused = await client.post("/x", headers=token("rt-7"))
        other = await client.post("/x", headers=token("rt-8"))
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "10"
    assert refused.json()["title"] == "Too many requests"
    assert other.status_code == 200
    assert app.state.seen == 3


async def test_a_forged_subject_counts_against_the_address_not_the_victim() -> None:
    app = echo_app()
    buckets = TokenBuckets(rate=0.1, burst=1, clock=FakeClock())
    limited = RateLimitMiddleware(app, buckets, bearer_subject_or_address(TokenVerifier(SETTINGS)))
    forged = jwt.encode({"sub": "victim"}, "not-the-secret-but-long-enough-for-hs256")
    async with client_of(limited) as client:
        await client.post("/x", headers={"Authorization": f"Bearer {forged}"})
        # The attacker's address is spent; the victim's own bucket is untouched.
        assert (await client.post("/x")).status_code == 429
        assert (await client.post("/x", headers=token("victim"))).status_code == 200


async def test_health_probes_are_never_limited() -> None:
    buckets = TokenBuckets(rate=0.1, burst=1, clock=FakeClock())
    limited = RateLimitMiddleware(
        echo_app(), buckets, bearer_subject_or_address(TokenVerifier(SETTINGS))
    )
    async with client_of(limited) as client:
        answers = [(await client.post("/health/ready")).status_code for _ in range(3)]
    assert answers == [200, 200, 200]


UPLOADS = TokenBuckets(rate=0.5, burst=1, clock=FakeClock())


async def test_the_dependency_limits_one_kind_of_request_per_principal() -> None:
    app = echo_app()

    @app.put("/upload")
    async def upload(
        principal: Annotated[Principal, Depends(rate_limit(UPLOADS, "upload"))],
    ) -> dict[str, str]:
        return {"by": principal.subject}

    async with client_of(app) as client:
        assert (await client.put("/upload", headers=token("rt-7"))).json() == {"by": "rt-7"}
        refused = await client.put("/upload", headers=token("rt-7"))
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2"
    assert "upload" in refused.json()["detail"]


class CountingVerifier(TokenVerifier):
    def __init__(self) -> None:
        super().__init__(SETTINGS)
        self.calls = 0

    async def verify(self, token: str) -> Principal:
        self.calls += 1
        return await super().verify(token)


async def test_a_request_through_the_limiter_has_its_token_verified_once() -> None:
    verifier = CountingVerifier()
    app = FastAPI()
    app.state.token_verifier = verifier
    install_problem_handlers(app)

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, str]:
        return {"subject": principal.subject}

    buckets = TokenBuckets(rate=100, burst=100)
    limited = RateLimitMiddleware(app, buckets, bearer_subject_or_address(verifier))
    async with client_of(limited) as client:
        answer = await client.get("/me", headers=token("rt-7"))
        forged = await client.get("/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert answer.json() == {"subject": "rt-7"}
    assert verifier.calls == 1 + 2  # once for the good token; the bad one is refused twice
    assert forged.status_code == 401


async def test_a_verified_principal_does_not_outlive_its_request() -> None:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(SETTINGS)
    install_problem_handlers(app)

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, str]:
        return {"subject": principal.subject}

    limited = RateLimitMiddleware(
        app, TokenBuckets(rate=100, burst=100), bearer_subject_or_address(TokenVerifier(SETTINGS))
    )
    shared_lifespan_state: dict[str, object] = {}

    async def with_shared_state(scope: dict[str, object], receive: object, send: object) -> None:
        # Some servers (and test transports) pass one lifespan-state dict to every request.
        await limited({**scope, "state": shared_lifespan_state}, receive, send)  # type: ignore[arg-type]

    async with client_of(with_shared_state) as client:  # type: ignore[arg-type]
        assert (await client.get("/me", headers=token("rt-7"))).status_code == 200
        assert (await client.get("/me")).status_code == 401
    assert shared_lifespan_state == {}
