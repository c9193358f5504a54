"""Verification's pure rules: where a report stands, folded from its events.

The full three-tier aggregate (decisions, deadlines) grows here; the first slice knows that a
submitted or revised report waits for the first tier of the chain.
"""

from __future__ import annotations

from enum import StrEnum

from sipokat.events.catalogue import Tier

TIER_CHAIN: tuple[Tier, ...] = (Tier.KELURAHAN, Tier.KECAMATAN, Tier.KOTA)


class ReportStatus(StrEnum):
    AWAITING_KELURAHAN = "awaiting_kelurahan"
    AWAITING_KECAMATAN = "awaiting_kecamatan"
    AWAITING_KOTA = "awaiting_kota"
    AWAITING_REVISION = "awaiting_revision"
    VERIFIED = "verified"


def awaiting(tier: Tier) -> ReportStatus:
    return ReportStatus(f"awaiting_{tier}")


def first_tier(chain: tuple[Tier, ...] = TIER_CHAIN) -> Tier:
    return chain[0]
