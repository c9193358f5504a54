"""An issuer's public keys from its JWKS URL, fetched by PyJWT's `PyJWKClient` off the event loop.

`PyJWKClient` is synchronous (urllib): a fetch on the event loop would stall every request of
the service while the issuer is slow or down. Keys already in its cached set are found without
a thread; only a fetch goes to one, one at a time per issuer. After a failed fetch, the issuer is
not asked again for a second or the refetch cooldown, whichever is longer: requests meanwhile
fail at once (or use the last set seen) instead of each waiting out the timeout again.
"""

from __future__ import annotations

import asyncio
import time

import jwt
import structlog

log = structlog.get_logger(__name__)


class IssuerUnavailable(Exception):
    """The issuer's keys could not be fetched: its tokens cannot be checked now (503)."""


class _Client(jwt.PyJWKClient):
    """PyJWKClient keeping the last set it handed out, for when the issuer is down later."""

    last: jwt.PyJWKSet | None = None

    def get_jwk_set(self, refresh: bool = False) -> jwt.PyJWKSet:
        self.last = super().get_jwk_set(refresh)
        return self.last


class JwksKeys:
    def __init__(
        self, url: str, *, cache_seconds: float, cooldown_seconds: float, timeout_seconds: float
    ) -> None:
        self.url = url
        # A new kid refetches the set (at most once per cooldown): a rotation needs no restart.
        self._client = _Client(
            url,
            lifespan=cache_seconds,
            cooldown_duration=cooldown_seconds,
            timeout=timeout_seconds,
        )
        self._fetching = asyncio.Lock()
        self._pause = max(1.0, cooldown_seconds)
        self._failed: str | None = None  # why the last fetch failed, None when it worked
        self._retry_at = 0.0  # monotonic time before which a failed issuer is not asked again

    def _cached(self, kid: str) -> jwt.PyJWK | None:
        cache = self._client.jwk_set_cache
        # None once its lifespan is over: then a thread asks the issuer again.
        return _match(cache.get() if cache is not None else None, kid)

    async def key(self, kid: str) -> jwt.PyJWK:
        """The signing key named `kid`.

        Raises `jwt.PyJWKClientError` when the issuer has no such key, `IssuerUnavailable` when
        its keys cannot be fetched and the last set seen did not have it either."""
        found = self._cached(kid)
        if found is not None:
            return found
        async with self._fetching:
            found = self._cached(kid)
            if found is not None:
                return found
            if self._failed is not None and time.monotonic() < self._retry_at:
                return self._stale(kid, self._failed)
            try:
                found = await asyncio.to_thread(self._client.get_signing_key, kid)
            except jwt.PyJWKClientConnectionError as exc:
                self._failed = str(exc)
                self._retry_at = time.monotonic() + self._pause
                return self._stale(kid, self._failed)
            self._failed = None
            return found

    def _stale(self, kid: str, why: str) -> jwt.PyJWK:
        # Keys do not stop being valid because their issuer is down: the last set seen still
        # verifies its tokens; a key removed from it takes effect once the issuer answers again.
        found = _match(self._client.last, kid)
        if found is None:
            raise IssuerUnavailable(why)
        log.warning("jwks unreachable, using the last set seen", url=self.url, reason=why)
        return found


def _match(keys: jwt.PyJWKSet | None, kid: str) -> jwt.PyJWK | None:
    if keys is None:
        return None
    usable = (k for k in keys.keys if k.key_id == kid and k.public_key_use in ("sig", None))
    return next(usable, None)
