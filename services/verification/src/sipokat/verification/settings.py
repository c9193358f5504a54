"""Verification's settings (environment, prefix SIPOKAT_) and the policy they describe."""

from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator

from sipokat.events.catalogue import Tier
from sipokat.runtime.settings import ServiceSettings
from sipokat.verification.domain import TIER_CHAIN, Policy, WorkingCalendar


def _valid_chain(chain: list[Tier]) -> list[Tier]:
    if not chain:
        raise ValueError("a tier chain needs at least one tier")
    if len(set(chain)) != len(chain):
        raise ValueError(f"a tier appears twice in {chain}")
    return chain


class VerificationSettings(ServiceSettings):
    # SIPOKAT_TIER_CHAIN='["kelurahan","kota"]'; per city by kota code:
    # SIPOKAT_CITY_TIER_CHAINS='{"35.71": ["kelurahan","kecamatan","kota"]}'
    tier_chain: list[Tier] = list(TIER_CHAIN)
    city_tier_chains: dict[str, list[Tier]] = {}
    # Working days each tier has to decide, and per-tier exceptions.
    working_days_per_tier: int = Field(default=3, ge=1)
    tier_working_days: dict[Tier, int] = {}
    # Public holidays (cuti bersama included) that are not working days: '["2026-03-19"]'.
    holidays: list[date] = []
    # How often the deadline scheduler and the view catch-up look for work, in seconds.
    scan_interval: float = Field(default=30.0, gt=0)
    # How long a signed photo link handed out with a report lives (at least; media.py rounds
    # its end up to a quarter hour so the phone's cache keeps the same link for a while).
    photo_link_seconds: int = Field(default=3600, ge=60)
    # What a CSV export's URL column starts with: the gateway's public address
    # (SIPOKAT_PUBLIC_BASE_URL=https://sipokat.example.go.id); empty, the URL is a path.
    public_base_url: str = ""

    @field_validator("tier_chain")
    @classmethod
    def _chain(cls, chain: list[Tier]) -> list[Tier]:
        return _valid_chain(chain)

    @field_validator("city_tier_chains")
    @classmethod
    def _city_chains(cls, chains: dict[str, list[Tier]]) -> dict[str, list[Tier]]:
        return {kota: _valid_chain(chain) for kota, chain in chains.items()}

    @field_validator("tier_working_days")
    @classmethod
    def _days(cls, days: dict[Tier, int]) -> dict[Tier, int]:
        if any(n < 1 for n in days.values()):
            raise ValueError("a tier needs at least one working day")
        return days

    def policy(self) -> Policy:
        return Policy(
            default_chain=tuple(self.tier_chain),
            city_chains={kota: tuple(chain) for kota, chain in self.city_tier_chains.items()},
            working_days={
                tier: self.tier_working_days.get(tier, self.working_days_per_tier) for tier in Tier
            },
            calendar=WorkingCalendar.with_holidays(self.holidays),
        )
