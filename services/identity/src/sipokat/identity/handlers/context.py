"""What every handler of identity works with: the context, the outcomes routes answer, the one
way to write."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import structlog
from uuid6 import uuid7

from sipokat.events.envelope import Envelope
from sipokat.events.store.base import Database, Document, ViewTransaction, apply_once_returning
from sipokat.identity.adapters.passwords import PasswordHasher
from sipokat.identity.adapters.signing import SigningKey
from sipokat.identity.domain import (
    LevelOf,
)
from sipokat.identity.queries import (
    ACCOUNTS,
)
from sipokat.identity.settings import IdentitySettings

Clock = Callable[[], datetime]
# Stores events in identity's event store and wakes the relay (`ServiceRuntime.append`).
Append = Callable[[Sequence[Envelope]], Awaitable[object]]
log = structlog.get_logger(__name__)

# One-time codes: read aloud over a phone or copied from a screen, so no 0/O or 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31^10 ≈ 2^50, with the sign-in throttling on top
# A retired key stays published this long past its last token's expiry (clock skew, caches).
PUBLISH_LEEWAY = timedelta(minutes=5)


@dataclass(frozen=True)
class IdentityContext:
    """What identity's handlers and routes work with; built once at start-up by `bootstrap`."""

    settings: IdentitySettings
    clock: Clock
    database: Database
    hasher: PasswordHasher
    level_of: LevelOf  # the directory's: a post's wilayah must exist at its role's level
    # Parsed keys by kid: loading a PEM costs more than signing with it.
    parsed_keys: dict[str, SigningKey] = field(default_factory=dict)
    # Where the post events go (handlers.post_events); None: straight into the event store,
    # for a context built without a runtime.
    append: Append | None = None


class SignInFailed(Exception):
    """Wrong number, wrong password, no password yet: one answer for all, so it cannot tell
    whether a number has an account."""


class ActivationFailed(Exception):
    """Unknown number, wrong or expired code, or already activated: one answer for all."""


class Throttled(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class NoPost(Exception):
    """The account holds no post now: it has no role to sign in as."""


class RefreshRefused(Exception):
    def __init__(self, reason: Literal["unknown", "reused", "revoked", "expired", "no_post"]):
        super().__init__(reason)
        self.reason = reason


class PhoneTaken(Exception):
    pass


class AccountNotFound(Exception):
    pass


@dataclass(frozen=True)
class Session:
    """What a sign-in (or a refresh) answers; `refresh_token` is shown once, kept as a hash."""

    access_token: str
    refresh_token: str
    expires_in: int
    session_id: UUID


def token_hash(token: str) -> str:
    # Refresh tokens are 256 random bits: a fast hash is enough, and finds them by key.
    return hashlib.sha256(token.encode()).hexdigest()


async def write(context: IdentityContext, effect: Callable[[ViewTransaction], Any]) -> Any:
    return await apply_once_returning(context.database.views, uuid7(), effect)


async def set_fields(context: IdentityContext, account_id: str, fields: Document) -> None:
    async def effect(tx: ViewTransaction) -> None:
        stored = await tx.get(ACCOUNTS, account_id)
        if stored is not None:
            await tx.put(ACCOUNTS, account_id, {**stored, **fields})

    await write(context, effect)
