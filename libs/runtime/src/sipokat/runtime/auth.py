"""Bearer JWTs (PyJWT), checked by every service itself: nothing trusts the network.

A token is checked by the issuer it names (`iss`, read unverified only to pick one): the
development issuer (HS256, the shared secret; off in production), the identity service (RS256,
its JWKS) and a city's own identity provider (RS256, its JWKS). Each issuer's algorithms are the
only ones its tokens may use, so one issuer's public key is never taken for an HMAC secret
(RFC 8725 §3.1); exp, aud and iss are required and checked.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from sipokat.events.bounds import AreaCode, PersonName, Subject
from sipokat.events.envelope import Actor, Role
from sipokat.runtime.endedposts import EndedPosts
from sipokat.runtime.jwks import IssuerUnavailable, JwksKeys
from sipokat.runtime.messages import text
from sipokat.runtime.problems import Problem
from sipokat.runtime.settings import ServiceSettings

# Where a middleware that verified the request's bearer token leaves the principal (scope state).
VERIFIED_PRINCIPAL = "verified_principal"
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="sipokat"'}
POST_ENDED = text(
    "the post this token was issued for has ended; sign in again",
    "jabatan untuk token ini sudah berakhir; silakan masuk lagi",
)


class Principal(BaseModel):
    """The authenticated caller: who, in which role, answering for which wilayah.

    Its fields are bounded as the events it ends up in (`sipokat.events.bounds`): a token whose
    `sub`, `name` or `wilayah` no event could carry is refused here with 401, at every service,
    rather than failing later where an event is made.
    """

    subject: Subject
    role: Role
    wilayah: AreaCode | None = None
    name: PersonName | None = None

    def as_actor(self) -> Actor:
        return Actor(subject=self.subject, role=self.role, wilayah=self.wilayah)


# The level of the wilayah a role's token names; admins and integrators answer for no one area.
CLAIM_LEVEL = {
    Role.KETUA_RT: "rt",
    Role.LURAH: "kelurahan",
    Role.CAMAT: "kecamatan",
    Role.PEMKOT: "kota",
}
# The level of a wilayah code in the directory ("rt", "kelurahan", ...), None when unknown.
LevelOf = Callable[[str], str | None]


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer whose tokens are accepted: its `iss`, its algorithms, its key (a secret or a
    JWKS)."""

    name: str
    algorithms: tuple[str, ...]
    secret: str | None = None
    jwks: JwksKeys | None = None

    async def key_for(self, token: str) -> str | jwt.PyJWK:
        if self.jwks is None:
            return self.secret or ""
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str) or not kid:
            raise jwt.InvalidTokenError("the token names no signing key (kid)")
        return await self.jwks.key(kid)


def trusted_issuers(settings: ServiceSettings) -> dict[str, TrustedIssuer]:
    """The issuers the settings trust, by their `iss`."""

    def jwks(url: str) -> JwksKeys:
        return JwksKeys(
            url,
            cache_seconds=settings.jwks_cache_seconds,
            cooldown_seconds=settings.jwks_refetch_cooldown_seconds,
            timeout_seconds=settings.jwks_timeout_seconds,
        )

    issuers: list[TrustedIssuer] = []
    if settings.jwt_dev_tokens:
        secret = settings.jwt_secret.get_secret_value()
        issuers.append(TrustedIssuer(settings.jwt_issuer, ("HS256",), secret=secret))
    if settings.identity_jwks_url:
        issuers.append(
            TrustedIssuer(
                settings.identity_issuer, ("RS256",), jwks=jwks(settings.identity_jwks_url)
            )
        )
    if settings.jwks_url and settings.jwks_issuer:
        issuers.append(
            TrustedIssuer(settings.jwks_issuer, ("RS256",), jwks=jwks(settings.jwks_url))
        )
    return {issuer.name: issuer for issuer in issuers}


class TokenVerifier:
    """Checks bearer tokens and remembers the ones that passed.

    A client sends the same token with every request for hours; checking its signature and
    claims every time was a tenth of intake's work per report. A remembered token is the exact
    same bytes, so its signature needs no second check; its exp still does, at every use, and it
    is forgotten after `jwt_cache_seconds` so a rotated key or secret takes effect soon.

    An identity token is refused, cached or not, once its account's post has ended after it
    was issued (`ended_posts`, fed by the runtime from `PostEnded` events).
    """

    CACHE_SIZE = 10_000  # a city's RT heads and verifiers, several times over

    def __init__(self, settings: ServiceSettings, ended_posts: EndedPosts | None = None) -> None:
        self._issuers = trusted_issuers(settings)
        self._audience = settings.jwt_audience
        self._cache_seconds = settings.jwt_cache_seconds
        self._level_of: LevelOf | None = None
        # Only identity's accounts hold posts: the `sub` of another issuer's token is no account.
        self._posts_issuer = settings.identity_issuer if settings.identity_jwks_url else None
        keep = settings.ended_posts_keep_minutes * 60
        # `is None`, not `or`: an empty map (falsy by its length) is still the runtime's one.
        self.ended_posts = EndedPosts(keep) if ended_posts is None else ended_posts
        # token -> (principal, valid until: the earlier of exp and the end of its cache time,
        # its iat when identity issued it)
        self._verified: OrderedDict[str, tuple[Principal, float, float | None]] = OrderedDict()

    def check_wilayah(self, level_of: LevelOf) -> None:
        """Refuse tokens whose wilayah is not in the directory, or not of their role's level.

        A signed token for an area that does not exist (or a lurah "of" a whole kota) is a
        mistake of the identity provider: refusing it here keeps every jurisdiction check
        downstream from having to reason about areas it cannot place.
        """
        self._level_of = level_of
        self._verified.clear()

    async def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, valid_until, issued_at = remembered
            if time.time() < valid_until:
                self._verified.move_to_end(token)
                self._check_post(principal, issued_at)
                return principal
            del self._verified[token]
        principal, expires_at, issued_at = await self._check(token)
        if self._cache_seconds > 0:
            valid_until = min(expires_at, time.time() + self._cache_seconds)
            self._verified[token] = (principal, valid_until, issued_at)
            if len(self._verified) > self.CACHE_SIZE:
                self._verified.popitem(last=False)
        self._check_post(principal, issued_at)
        return principal

    def _check_post(self, principal: Principal, issued_at: float | None) -> None:
        # One dict lookup per request: the hot path stays as it was.
        if issued_at is not None and self.ended_posts.refuses(principal.subject, issued_at):
            raise Problem(401, "Unauthorized", POST_ENDED, headers=BEARER_CHALLENGE)

    def _issuer_of(self, token: str) -> TrustedIssuer:
        # Unverified, only to choose the issuer whose key and algorithms then verify everything.
        named = jwt.decode(token, options={"verify_signature": False}).get("iss")
        issuer = self._issuers.get(named) if isinstance(named, str) else None
        if issuer is None:
            raise jwt.InvalidIssuerError("the token's issuer is not trusted")
        return issuer

    async def _check(self, token: str) -> tuple[Principal, float, float | None]:
        """The principal, the token's exp and, for a token of identity's (whose `sub` is an
        account that holds a post), its iat."""
        try:
            issuer = self._issuer_of(token)
            holds_post = issuer.name == self._posts_issuer
            # Identity always sets iat: without it, no end of a post could be told apart.
            required = ["exp", "iss", "aud", "sub", *(["iat"] if holds_post else [])]
            claims = jwt.decode(
                token,
                await issuer.key_for(token),
                algorithms=list(issuer.algorithms),
                audience=self._audience,
                issuer=issuer.name,
                options={"require": required},
            )
            principal = Principal(
                subject=claims["sub"],
                role=claims.get("role"),
                wilayah=claims.get("wilayah"),
                name=claims.get("name") or None,  # an empty name is no name
            )
            self._check_wilayah(principal)
            issued_at = float(claims["iat"]) if holds_post else None
            return principal, float(claims["exp"]), issued_at
        except IssuerUnavailable as exc:
            raise Problem(
                503,
                "Service unavailable",
                text(
                    "the keys of the token's issuer cannot be fetched now; try again shortly",
                    "kunci penerbit token tidak dapat diambil sekarang; coba lagi sebentar lagi",
                ),
                headers={"Retry-After": "5"},
            ) from exc
        except (jwt.PyJWTError, ValidationError) as exc:
            raise Problem(
                401,
                "Unauthorized",
                text("invalid token: {reason}", "token tidak valid: {alasan}", **_why(exc)),
                headers=BEARER_CHALLENGE,
            ) from exc

    def _check_wilayah(self, principal: Principal) -> None:
        if self._level_of is None or principal.wilayah is None:
            return
        level = self._level_of(principal.wilayah)
        expected = CLAIM_LEVEL.get(principal.role)
        if level is None or (expected is not None and level != expected):
            raise Problem(
                401,
                "Unauthorized",
                text(
                    "invalid token: wilayah {wilayah!r} is no {level} of the directory",
                    "token tidak valid: wilayah {wilayah!r} bukan {level} dalam direktori",
                    wilayah=principal.wilayah,
                    level=expected or "area",
                ),
                headers=BEARER_CHALLENGE,
            )


# Why PyJWT (or the claims' model) refused a token, in Indonesian; the English is PyJWT's own.
_WHY_ID: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "masa berlakunya habis"),
    (jwt.ImmatureSignatureError, "belum berlaku"),
    (jwt.InvalidAudienceError, "audience tidak sesuai"),
    (jwt.InvalidIssuerError, "penerbit tidak sesuai"),
    (jwt.MissingRequiredClaimError, "klaim wajib tidak ada"),
    (jwt.InvalidAlgorithmError, "algoritme tidak diizinkan"),
    (jwt.InvalidSignatureError, "tanda tangan tidak sah"),
    (jwt.PyJWKClientError, "kunci penandatangan tidak dikenal penerbitnya"),
    (jwt.InvalidKeyError, "kunci tidak dapat dipakai"),
    (jwt.DecodeError, "tidak dapat dibaca"),
    (ValidationError, "klaim tidak valid (peran atau wilayah)"),
)


def _why(exc: Exception) -> dict[str, str]:
    indonesian = next((id_ for kind, id_ in _WHY_ID if isinstance(exc, kind)), "ditolak")
    if isinstance(exc, jwt.MissingRequiredClaimError):
        indonesian = f"{indonesian}: {exc.claim}"
    return {"reason": str(exc), "alasan": indonesian}


def mint_token(
    settings: ServiceSettings,
    *,
    subject: str,
    role: Role | str,
    wilayah: str | None = None,
    name: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """A development token signed with the configured HS256 secret (the development issuer's:
    refused where `jwt_dev_tokens` is off)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": str(Role(role)),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl,
    }
    if wilayah:
        claims["wilayah"] = wilayah
    if name:
        claims["name"] = name
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


async def authenticate(request: Request) -> Principal:
    # async, like every dependency here: FastAPI runs sync ones on a worker thread per request.
    verified = request.scope.get("state", {}).get(VERIFIED_PRINCIPAL)
    if isinstance(verified, Principal):
        return verified  # the rate limiter verified this request's token already
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(
            401,
            "Unauthorized",
            text("a bearer token is required", "token bearer wajib dikirim"),
            headers=BEARER_CHALLENGE,
        )
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(token.strip())


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    allowed: Sequence[Role] = roles

    # Takes the request, not a CurrentPrincipal dependency: each level of dependencies costs
    # FastAPI real work on every request, and this one is on every route.
    async def check(request: Request) -> Principal:
        principal = await authenticate(request)
        if principal.role not in allowed:
            raise Problem(
                403,
                "Forbidden",
                text(
                    "role {role} may not do this; allowed: {allowed}",
                    "peran {role} tidak boleh melakukan ini; yang boleh: {allowed}",
                    role=principal.role,
                    allowed=", ".join(allowed),
                ),
            )
        return principal

    return check
