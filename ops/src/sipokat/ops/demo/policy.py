"""How verifiers decide and how RT heads answer a rejection. Pure: chance from a given `Random`.

Delays are in simulated hours; the driver divides them by the demo's speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from random import Random

from sipokat.events.catalogue import Bidang, RejectionReason, ReportContent, ReportKind, Tier
from sipokat.ops.demo import texts

# Lurahs reject most (they know the RT and check the photos), higher tiers rarely.
REJECTION_RATES: dict[Tier, float] = {Tier.KELURAHAN: 0.12, Tier.KECAMATAN: 0.05, Tier.KOTA: 0.03}
# Median hours until a verifier gets to a report waiting at their tier (lognormal).
MEDIAN_HOURS: dict[Tier, float] = {Tier.KELURAHAN: 4.0, Tier.KECAMATAN: 6.0, Tier.KOTA: 8.0}
REASON_WEIGHTS: dict[RejectionReason, float] = {
    RejectionReason.INCOMPLETE: 35,
    RejectionReason.NO_EVIDENCE: 25,
    RejectionReason.WRONG_FIELD: 15,
    RejectionReason.DUPLICATE: 10,
    RejectionReason.NOT_RT_WORK: 8,
    RejectionReason.OTHER: 7,
}


@dataclass(frozen=True)
class Decision:
    approve: bool
    note: str
    reason_code: RejectionReason | None = None

    def body(self, expected_version: int | None = None) -> dict[str, object]:
        """The JSON of POST /v1/reports/{id}/decisions."""
        body: dict[str, object] = {"decision": "approve" if self.approve else "reject"}
        if self.note:
            body["note"] = self.note
        if self.reason_code is not None:
            body["reason_code"] = str(self.reason_code)
        if expected_version is not None:
            body["expected_version"] = expected_version
        return body


@dataclass(frozen=True)
class Revision:
    content: ReportContent
    needs_photo: bool  # the rejection asked for evidence: the RT takes a photo


@dataclass(frozen=True)
class DecisionPolicy:
    rejection_rates: dict[Tier, float] = field(default_factory=lambda: dict(REJECTION_RATES))
    median_hours: dict[Tier, float] = field(default_factory=lambda: dict(MEDIAN_HOURS))
    revise_chance: float = 0.85
    revise_median_hours: float = 6.0

    def delay_hours(self, rng: Random, tier: Tier) -> float:
        """How long the report waits at the tier before its verifier decides (capped at two
        days: the demo's verifiers keep their deadlines)."""
        return min(48.0, self.median_hours[tier] * math.exp(rng.gauss(0, 0.7)))

    def decide(self, rng: Random, tier: Tier, content: ReportContent, round: int) -> Decision:
        rate = self.rejection_rates[tier]
        if tier is Tier.KELURAHAN:  # a report without a photo is the lurah's usual doubt
            rate *= 0.6 if content.photos else 1.4
        if round > 1:
            rate *= 0.5  # a revised report was fixed on purpose
        if rng.random() >= rate:
            return Decision(True, rng.choice(texts.CATATAN_SETUJU))
        reasons = dict(REASON_WEIGHTS)
        if content.photos:
            reasons[RejectionReason.NO_EVIDENCE] = 3
        reason = rng.choices(list(reasons), weights=list(reasons.values()))[0]
        return Decision(False, rng.choice(texts.CATATAN_TOLAK[reason]), reason)

    def will_revise(self, rng: Random) -> bool:
        return rng.random() < self.revise_chance

    def revision_delay_hours(self, rng: Random) -> float:
        return min(72.0, self.revise_median_hours * math.exp(rng.gauss(0, 0.8)))

    def revise(self, rng: Random, content: ReportContent, reason: RejectionReason) -> Revision:
        """The RT head's answer to the rejection's reason."""
        changes: dict[str, object] = {}
        if reason is RejectionReason.INCOMPLETE or reason is RejectionReason.OTHER:
            extra = texts.TAMBAHAN_URAIAN.format(jumlah=rng.randint(12, 60))
            changes["description"] = (content.description + extra)[:5000]
        elif reason is RejectionReason.WRONG_FIELD and content.kind is not ReportKind.PROGRES_DANA:
            others = [b for b in Bidang if b is not content.bidang]
            changes["bidang"] = rng.choice(others)
        elif reason in (RejectionReason.DUPLICATE, RejectionReason.NOT_RT_WORK):
            changes["description"] = (content.description + " (diperbaiki oleh Ketua RT)")[:5000]
        needs_photo = reason is RejectionReason.NO_EVIDENCE or (
            not content.photos and rng.random() < 0.5
        )
        revised = ReportContent.model_validate({**content.model_dump(), **changes})
        return Revision(revised, needs_photo)
