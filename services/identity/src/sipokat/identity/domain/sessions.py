"""Refresh-token families: one sign-in's chain of refresh tokens, and what presenting one does."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal
from uuid import UUID


@dataclass(frozen=True)
class Family:
    """One sign-in's chain of refresh tokens (its id is the access tokens' `sid`). Only
    `current` may be exchanged; presenting any earlier token of the chain means it was copied,
    so the whole family is revoked (OAuth 2.0 Security BCP, refresh token rotation)."""

    id: UUID
    account: UUID
    current: str  # the hash of the one refresh token that may be used next
    created: datetime
    expires: datetime  # the family's absolute end: a new sign-in after it
    revoked: bool = False


Exchange = Literal["rotate", "reused", "revoked", "expired"]


def exchange(family: Family, presented: str, now: datetime) -> Exchange:
    """What presenting a refresh token (by its hash) of this family does."""
    if family.revoked:
        return "revoked"
    if presented != family.current:
        return "reused"
    if now >= family.expires:
        return "expired"
    return "rotate"


def rotated(family: Family, new_hash: str) -> Family:
    return replace(family, current=new_hash)


def revoked(family: Family) -> Family:
    return replace(family, revoked=True)
