"""The demo's verifiers and RT heads: decisions, delays and revisions (no I/O)."""

from __future__ import annotations

import io
import statistics
from datetime import date
from random import Random

import pytest
from PIL import Image

from sipokat.events.catalogue import Bidang, RejectionReason, ReportContent, ReportKind, Tier
from sipokat.ops.demo.photo import scene_jpeg
from sipokat.ops.demo.policy import DecisionPolicy
from sipokat.verification.entrypoints.reports import DecisionBody, command_of

CONTENT = ReportContent(
    kind=ReportKind.KEGIATAN,
    bidang=Bidang.PEMERINTAHAN,
    title="Rapat koordinasi pengurus RT 003",
    description="Rapat bulanan di balai RT.",
    activity_date=date(2026, 11, 18),
)
PHOTO = {"sha256": "ab" * 32, "content_type": "image/jpeg"}


def rejection_rate(tier: Tier, content: ReportContent = CONTENT, count: int = 4000) -> float:
    policy, rng = DecisionPolicy(), Random(5)
    return sum(not policy.decide(rng, tier, content, 1).approve for _ in range(count)) / count


def test_lurahs_reject_10_to_15_percent_and_higher_tiers_fewer() -> None:
    with_photo = CONTENT.model_copy(update={"photos": [PHOTO]})
    lurah = (rejection_rate(Tier.KELURAHAN) + rejection_rate(Tier.KELURAHAN, with_photo)) / 2
    assert 0.09 < lurah < 0.16
    assert rejection_rate(Tier.KELURAHAN, with_photo) < rejection_rate(Tier.KELURAHAN)
    assert rejection_rate(Tier.KECAMATAN) < lurah
    assert rejection_rate(Tier.KOTA) < rejection_rate(Tier.KECAMATAN)


def test_every_decision_is_one_the_verification_service_accepts() -> None:
    policy, rng = DecisionPolicy(rejection_rates=dict.fromkeys(Tier, 0.5)), Random(1)
    reasons = set()
    for _ in range(500):
        decision = policy.decide(rng, Tier.KELURAHAN, CONTENT, 1)
        command_of(DecisionBody.model_validate(decision.body(expected_version=3)))
        if not decision.approve:
            assert decision.reason_code is not None and decision.note.strip()
            reasons.add(decision.reason_code)
    assert reasons == set(RejectionReason)


def test_delays_centre_on_the_tiers_median_and_stay_within_two_days() -> None:
    policy, rng = DecisionPolicy(), Random(2)
    for tier, median in policy.median_hours.items():
        delays = [policy.delay_hours(rng, tier) for _ in range(3000)]
        assert statistics.median(delays) == pytest.approx(median, rel=0.1)
        assert max(delays) <= 48


def test_a_revision_answers_the_reason() -> None:
    policy, rng = DecisionPolicy(), Random(3)
    assert policy.revise(rng, CONTENT, RejectionReason.NO_EVIDENCE).needs_photo
    longer = policy.revise(rng, CONTENT, RejectionReason.INCOMPLETE).content
    assert longer.description.startswith(CONTENT.description)
    assert len(longer.description) > len(CONTENT.description)
    moved = policy.revise(rng, CONTENT, RejectionReason.WRONG_FIELD).content
    assert moved.bidang is not CONTENT.bidang
    for reason in RejectionReason:
        revised = policy.revise(rng, CONTENT, reason).content
        assert ReportContent.model_validate(revised.model_dump(mode="json")) == revised


def test_most_rejected_rts_revise() -> None:
    policy, rng = DecisionPolicy(), Random(4)
    share = sum(policy.will_revise(rng) for _ in range(2000)) / 2000
    assert share == pytest.approx(policy.revise_chance, abs=0.03)


def test_photos_are_small_distinct_jpegs() -> None:
    first, second = scene_jpeg(Random(1)), scene_jpeg(Random(2))
    assert first != second
    assert len(first) < 50_000
    with Image.open(io.BytesIO(first)) as image:
        assert (image.format, image.size) == ("JPEG", (320, 240))
