"""Identity's settings (environment, prefix SIPOKAT_) and the throttling rules they describe."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from sipokat.identity.domain import ThrottleRule
from sipokat.runtime.settings import ServiceSettings

# OWASP Password Storage Cheat Sheet: Argon2id with at least 19 MiB, 2 iterations, 1 lane.
OWASP_MEMORY_KIB = 19 * 1024
OWASP_TIME_COST = 2


class IdentitySettings(ServiceSettings):
    # The `iss` of the access tokens identity signs (every service's `jwt_issuer` trusts it).
    identity_issuer: str = "sipokat-identity"
    # An access token lives minutes: a post that ends, a sign-out everywhere, a changed
    # password take effect on other services within this time.
    access_token_minutes: int = Field(default=10, ge=1, le=60)
    # A sign-in's refresh tokens rotate on every use; the chain ends this long after sign-in.
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    # A signing key signs this long before a new one takes over (the old stays in the JWKS
    # until its tokens have expired).
    signing_key_days: int = Field(default=90, ge=1)
    # How long an activation code (shown once when an admin creates the account) works.
    activation_code_hours: int = Field(default=72, ge=1, le=24 * 30)
    # How long an admin code works (the first admin's, printed by `sipokat run`, or one made
    # on the host): it alone makes an admin, so it lives shorter.
    first_admin_code_hours: int = Field(default=24, ge=1, le=24 * 7)
    # How long a reset code (a lurah, camat or admin hands it over in person or on a call)
    # works: it is used there and then, and a short life leaves little to a code overheard or
    # read off a screen; the helper can always give another (docs/identity.md).
    reset_code_minutes: int = Field(default=30, ge=5, le=24 * 60)

    # The roster import (docs/identity.md): a file's bounds, and how many accounts one request
    # creates (each costs an Argon2 hash of its code: a batch keeps a request to seconds, well
    # inside the gateway's upstream timeout; the same file sent again goes on).
    roster_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    roster_max_rows: int = Field(default=20_000, ge=1)
    roster_accounts_per_request: int = Field(default=100, ge=1, le=1000)

    # Argon2id, never below OWASP's minimum (docs/identity.md).
    argon2_memory_kib: int = Field(default=OWASP_MEMORY_KIB, ge=OWASP_MEMORY_KIB)
    argon2_time_cost: int = Field(default=OWASP_TIME_COST, ge=OWASP_TIME_COST)
    argon2_parallelism: int = Field(default=1, ge=1, le=16)

    # Failed sign-ins per phone number (known or not): free, then a doubling wait, then a lock.
    signin_free_failures: int = Field(default=5, ge=1)
    signin_lock_after: int = Field(default=10, ge=2)
    signin_lock_minutes: int = Field(default=15, ge=1)
    # Per address (one device trying many numbers): more room, as a kelurahan office may sign
    # several people in from one connection.
    address_free_failures: int = Field(default=20, ge=1)
    address_lock_after: int = Field(default=100, ge=2)
    # Failures older than this are forgotten.
    throttle_window_minutes: int = Field(default=60, ge=1)

    def phone_rule(self) -> ThrottleRule:
        return self._rule(self.signin_free_failures, self.signin_lock_after)

    def address_rule(self) -> ThrottleRule:
        return self._rule(self.address_free_failures, self.address_lock_after)

    def _rule(self, free: int, lock_after: int) -> ThrottleRule:
        return ThrottleRule(
            free=free,
            lock_after=max(lock_after, free + 1),
            delay=timedelta(seconds=1),
            max_delay=timedelta(seconds=30),
            lock=timedelta(minutes=self.signin_lock_minutes),
            window=timedelta(minutes=self.throttle_window_minutes),
        )
