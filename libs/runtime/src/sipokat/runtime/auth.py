"""Bearer JWTs (PyJWT), checked by every service itself: nothing trusts the network.

HS256 with the configured secret by default; RS256 with keys from a JWKS URL for a real identity
provider. Only the configured algorithms are accepted, and exp, aud and iss are required and
checked (RFC 8725).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from sipokat.events.bounds import AreaCode, PersonName, Subject
from sipokat.events.envelope import Actor, Role
from sipokat.runtime.messages import text
from sipokat.runtime.problems import Problem
from sipokat.runtime.settings import ServiceSettings

# Where a middleware that verified the request's bearer token leaves the principal (scope state).
VERIFIED_PRINCIPAL = "verified_principal"
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="sipokat"'}


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


class TokenVerifier:
    """Checks bearer tokens and remembers the ones that passed.

    A client sends the same token with every request for hours; checking its signature and
    claims every time was a tenth of intake's work per report. A remembered token is the exact
    same bytes, so its signature needs no second check; its exp still does, at every use, and it
    is forgotten after `jwt_cache_seconds` so a rotated key or secret takes effect soon.
    """

    CACHE_SIZE = 10_000  # a city's RT heads and verifiers, several times over

    def __init__(self, settings: ServiceSettings) -> None:
        self._algorithms = list(settings.jwt_algorithms)
        self._audience = settings.jwt_audience
        self._issuer = settings.jwt_issuer
        self._secret = settings.jwt_secret.get_secret_value()
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        self._cache_seconds = settings.jwt_cache_seconds
        self._level_of: LevelOf | None = None
        # token -> (principal, valid until: the earlier of exp and the end of its cache time)
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def check_wilayah(self, level_of: LevelOf) -> None:
        """Refuse tokens whose wilayah is not in the directory, or not of their role's level.

        A signed token for an area that does not exist (or a lurah "of" a whole kota) is a
        mistake of the identity provider: refusing it here keeps every jurisdiction check
        downstream from having to reason about areas it cannot place.
        """
        self._level_of = level_of
        self._verified.clear()

    def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, valid_until = remembered
            if time.time() < valid_until:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, expires_at = self._check(token)
        if self._cache_seconds > 0:
            self._verified[token] = (principal, min(expires_at, time.time() + self._cache_seconds))
            if len(self._verified) > self.CACHE_SIZE:
                self._verified.popitem(last=False)
        return principal

    def _check(self, token: str) -> tuple[Principal, float]:
        try:
            key: Any = self._secret
            if self._jwks is not None and jwt.get_unverified_header(token).get("alg") == "RS256":
                key = self._jwks.get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            principal = Principal(
                subject=claims["sub"],
                role=claims.get("role"),
                wilayah=claims.get("wilayah"),
                name=claims.get("name") or None,  # an empty name is no name
            )
            self._check_wilayah(principal)
            return principal, float(claims["exp"])
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
    """A development token signed with the configured HS256 secret."""
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
    return verifier.verify(token.strip())


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
