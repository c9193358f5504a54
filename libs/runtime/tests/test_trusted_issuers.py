"""Tokens of every trusted issuer, each checked with its own keys and algorithms only (RFC 8725):
the identity service's RS256 tokens against its JWKS (a real HTTP server, real RSA keys), the
HS256 development tokens, and a city's own provider."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr, ValidationError

from sipokat.runtime.auth import Principal, TokenVerifier, mint_token
from sipokat.runtime.problems import Problem
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import free_port

IDENTITY = "sipokat-identity"


@dataclass
class Key:
    kid: str
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": kid or self.kid})


@dataclass
class JwksServer:
    """A JWKS endpoint on a free port; `keys` is what it publishes, `hold` makes it hang."""

    keys: list[Key]
    fetches: int = 0
    hold: threading.Event | None = None
    entered: threading.Event = field(default_factory=threading.Event)

    def serve(self) -> ThreadingHTTPServer:
        published = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                published.fetches += 1
                published.entered.set()
                if published.hold is not None:
                    published.hold.wait(10)
                body = json.dumps({"keys": [key.jwk() for key in published.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def identity() -> Iterator[tuple[JwksServer, str]]:
    published = JwksServer([Key("2026-12-a")])
    server = published.serve()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield published, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        if published.hold is not None:
            published.hold.set()
        server.shutdown()
        server.server_close()


def settings(identity_jwks: str, **overrides: Any) -> ServiceSettings:
    base: dict[str, Any] = {
        "jwt_secret": SecretStr("a-test-secret-of-at-least-32-bytes!"),
        "identity_jwks_url": identity_jwks,
        "jwks_refetch_cooldown_seconds": 0,
    }
    return ServiceSettings(**{**base, **overrides})


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "iss": IDENTITY,
        "aud": "sipokat",
        "sub": "acc-0193",
        "role": "ketua_rt",
        "wilayah": "16.73.02.1019/007",
        "name": "Pak Darman",
        "iat": now,
        "exp": now + timedelta(minutes=15),
        "jti": "t-1",
        "sid": "s-1",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256_by_hand(payload: dict[str, Any], secret: bytes, kid: str) -> str:
    """An HS256 token keyed with arbitrary bytes: PyJWT itself refuses to sign with a PEM."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    numeric = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in payload.items()}
    body = part(json.dumps(numeric).encode())
    signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{part(signature)}"


async def refused(verifier: TokenVerifier, token: str) -> Problem:
    with pytest.raises(Problem) as caught:
        await verifier.verify(token)
    return caught.value


async def test_an_identity_token_verifies_to_its_principal(
    identity: tuple[JwksServer, str],
) -> None:
    published, url = identity
    token = published.keys[0].sign(claims())
    principal = await TokenVerifier(settings(url)).verify(token)
    assert principal == Principal(
        subject="acc-0193", role="ketua_rt", wilayah="16.73.02.1019/007", name="Pak Darman"
    )


async def test_a_token_of_a_key_the_jwks_lacks_is_401(identity: tuple[JwksServer, str]) -> None:
    published, url = identity
    stranger = Key("2026-12-a")  # the published kid, another key
    assert (await refused(TokenVerifier(settings(url)), stranger.sign(claims()))).status == 401
    unknown = published.keys[0].sign(claims(), kid="no-such-kid")
    problem = await refused(TokenVerifier(settings(url)), unknown)
    assert problem.status == 401 and "no-such-kid" in str(problem)


async def test_a_rotated_key_is_picked_up_without_a_restart(
    identity: tuple[JwksServer, str],
) -> None:
    published, url = identity
    verifier = TokenVerifier(settings(url))
    old = published.keys[0]
    assert (await verifier.verify(old.sign(claims(sub="before")))).subject == "before"
    new = Key("2026-12-b")
    published.keys = [old, new]  # during the rotation both are published
    assert (await verifier.verify(new.sign(claims(sub="after")))).subject == "after"
    assert (await verifier.verify(old.sign(claims(sub="old-still")))).subject == "old-still"
    assert published.fetches == 2  # once at first, once for the new kid


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"exp": datetime.now(UTC) - timedelta(seconds=5)}, "expired"),
        ({"aud": "another-platform"}, "audience"),
        ({"iss": "someone-else"}, "untrusted issuer"),
        ({"iss": "sipokat-dev"}, "the development issuer takes HS256 only"),
        ({"exp": None}, "no exp"),
    ],
)
async def test_bad_identity_tokens_are_401(
    identity: tuple[JwksServer, str], overrides: dict[str, Any], why: str
) -> None:
    published, url = identity
    problem = await refused(
        TokenVerifier(settings(url)), published.keys[0].sign(claims(**overrides))
    )
    assert problem.status == 401, why
    assert problem.headers == {"WWW-Authenticate": 'Bearer realm="sipokat"'}


async def test_identitys_public_key_is_no_hmac_secret(identity: tuple[JwksServer, str]) -> None:
    """The classic confusion: an HS256 token keyed with the RS256 issuer's public key PEM."""
    published, url = identity
    key = published.keys[0]
    forged = hs256_by_hand(claims(role="admin", wilayah=None), key.public_pem(), key.kid)
    problem = await refused(TokenVerifier(settings(url)), forged)
    assert problem.status == 401
    assert "alg" in str(problem).lower()


async def test_an_identity_token_signed_with_the_dev_secret_is_401(
    identity: tuple[JwksServer, str],
) -> None:
    published, url = identity
    dev = settings(url)
    forged = hs256_by_hand(
        claims(role="admin", wilayah=None),
        dev.jwt_secret.get_secret_value().encode(),
        published.keys[0].kid,
    )
    assert (await refused(TokenVerifier(dev), forged)).status == 401


async def test_development_tokens_are_still_taken(identity: tuple[JwksServer, str]) -> None:
    _, url = identity
    dev = settings(url)
    token = mint_token(dev, subject="rt-7", role="ketua_rt", wilayah="16.73.02.1019/007")
    assert (await TokenVerifier(dev).verify(token)).subject == "rt-7"


async def test_development_tokens_switched_off_are_401(identity: tuple[JwksServer, str]) -> None:
    published, url = identity
    production = settings(url, jwt_dev_tokens=False)
    token = mint_token(production, subject="rt-7", role="ketua_rt")
    assert (await refused(TokenVerifier(production), token)).status == 401
    assert (
        await TokenVerifier(production).verify(published.keys[0].sign(claims()))
    ).role == "ketua_rt"


async def test_identity_down_is_503_for_its_tokens_only() -> None:
    down = settings(f"http://127.0.0.1:{free_port()}/.well-known/jwks.json")
    verifier = TokenVerifier(down)
    problem = await refused(verifier, Key("k1").sign(claims()))
    assert problem.status == 503
    assert problem.headers == {"Retry-After": "5"}
    dev = mint_token(down, subject="rt-7", role="ketua_rt")
    assert (await verifier.verify(dev)).subject == "rt-7"


async def test_a_hanging_identity_does_not_hold_the_event_loop(
    identity: tuple[JwksServer, str],
) -> None:
    published, url = identity
    published.hold = threading.Event()
    verifying = asyncio.create_task(
        TokenVerifier(settings(url)).verify(published.keys[0].sign(claims()))
    )
    # This wait is answered on the loop: were the fetch on the loop, it could only return once
    # the JWKS answered, and the token would be verified by then.
    assert await asyncio.to_thread(published.entered.wait, 10)
    assert not verifying.done()
    published.hold.set()
    assert (await verifying).subject == "acc-0193"


async def test_keys_seen_before_still_verify_while_identity_is_down(
    identity: tuple[JwksServer, str],
) -> None:
    published, url = identity
    # The cached set expires at once, so every new token asks the JWKS again.
    brief = settings(url, jwks_cache_seconds=0.001, jwt_cache_seconds=0, jwks_timeout_seconds=0.5)
    verifier = TokenVerifier(brief)
    key = published.keys[0]
    assert (await verifier.verify(key.sign(claims(jti="first")))).subject == "acc-0193"
    published.hold = threading.Event()  # it hangs past the fetch timeout: down
    assert (await verifier.verify(key.sign(claims(jti="second")))).subject == "acc-0193"
    problem = await refused(verifier, Key("2026-12-b").sign(claims()))
    assert problem.status == 503


async def test_a_citys_own_provider_is_trusted_for_its_own_issuer_only(
    identity: tuple[JwksServer, str],
) -> None:
    published, identity_url = identity
    city = JwksServer([Key("city-1")])
    server = city.serve()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        city_url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
        both = settings(identity_url, jwks_url=city_url, jwks_issuer="https://idp.kota.example")
        verifier = TokenVerifier(both)
        ours = city.keys[0].sign(claims(iss="https://idp.kota.example", sub="city-user"))
        assert (await verifier.verify(ours)).subject == "city-user"
        # The city's key cannot speak for the identity service, nor identity's for the city.
        as_identity = city.keys[0].sign(claims())
        assert (await refused(verifier, as_identity)).status == 401
        as_city = published.keys[0].sign(claims(iss="https://idp.kota.example"))
        assert (await refused(verifier, as_city)).status == 401
    finally:
        server.shutdown()
        server.server_close()


def test_the_issuers_must_be_told_apart() -> None:
    with pytest.raises(ValidationError, match="SIPOKAT_JWKS_ISSUER"):
        ServiceSettings(jwks_url="https://idp.example/jwks")
    with pytest.raises(ValidationError, match="must differ"):
        ServiceSettings(identity_issuer="sipokat-dev")
    with pytest.raises(ValidationError, match="must differ"):
        ServiceSettings(jwks_url="https://idp.example/jwks", jwks_issuer="sipokat-identity")


def _by_hand(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    numeric = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in payload.items()}
    return ".".join(
        [part(json.dumps(header).encode()), part(json.dumps(numeric).encode()), part(signature)]
    )


@pytest.mark.parametrize(
    "forge",
    [
        # Unsigned, naming identity and its published key.
        lambda key: _by_hand({"alg": "none", "typ": "JWT", "kid": key.kid}, claims()),
        lambda key: _by_hand({"alg": "None", "kid": key.kid}, claims()),
        # Signed with identity's own key, by an algorithm identity does not use.
        lambda key: jwt.encode(claims(), key.private, algorithm="RS512", headers={"kid": key.kid}),
        lambda key: jwt.encode(claims(), key.private, algorithm="PS256", headers={"kid": key.kid}),
        # No kid to find a key by; no sub; no aud.
        lambda key: jwt.encode(claims(), key.private, algorithm="RS256"),
        lambda key: key.sign(claims(sub=None)),
        lambda key: key.sign(claims(aud=None)),
        # A real signature of other claims, pasted onto these.
        lambda key: (
            key.sign(claims(role="admin", wilayah=None)).rsplit(".", 1)[0]
            + "."
            + key.sign(claims()).rsplit(".", 1)[1]
        ),
    ],
    ids=["alg none", "alg None", "RS512", "PS256", "no kid", "no sub", "no aud", "spliced"],
)
async def test_forged_identity_tokens_are_401(identity: tuple[JwksServer, str], forge: Any) -> None:
    published, url = identity
    problem = await refused(TokenVerifier(settings(url)), forge(published.keys[0]))
    assert problem.status == 401
    assert problem.headers == {"WWW-Authenticate": 'Bearer realm="sipokat"'}
