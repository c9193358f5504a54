"""The report aggregate's state machine, driven without I/O."""

from __future__ import annotations

from datetime import timedelta

import pytest
from verification_support import (
    CAMAT,
    LURAH,
    MONDAY,
    NON_VERIFIERS,
    OUTSIDERS,
    PEMKOT,
    Stream,
)

from sipokat.events.catalogue import (
    RejectionReason,
    ReportApproved,
    ReportRejected,
    ReportVerified,
    Tier,
)
from sipokat.events.envelope import Role
from sipokat.verification.domain import (
    Approve,
    Decider,
    NotAVerifier,
    NotYourTurn,
    OutsideJurisdiction,
    Policy,
    Reject,
    ReportStatus,
)

REJECT = Reject(RejectionReason.NO_EVIDENCE, "Foto tidak jelas")


def test_a_submitted_report_awaits_the_lurah_for_three_working_days() -> None:
    state = Stream().submit()
    assert state.status is ReportStatus.AWAITING_KELURAHAN
    assert state.tier is Tier.KELURAHAN
    assert state.round == 1
    assert state.due_at == MONDAY.replace(day=5, hour=17)  # end of Thursday in WIB


def test_three_approvals_verify_the_report() -> None:
    stream = Stream()
    stream.submit()
    after_lurah = stream.decide(LURAH, Approve(note="Sesuai"), MONDAY + timedelta(hours=1))
    assert after_lurah.status is ReportStatus.AWAITING_KECAMATAN
    approved = stream.events[-1].data
    assert isinstance(approved, ReportApproved)
    assert approved.next_tier is Tier.KECAMATAN
    assert approved.next_due_at == after_lurah.due_at == MONDAY.replace(day=5, hour=17)
    assert approved.verifier.name == "Lurah Pelita Jaya"
    assert stream.decide(CAMAT, Approve()).status is ReportStatus.AWAITING_KOTA
    final = stream.decide(PEMKOT, Approve(counts_for_performance=False))
    assert final.status is ReportStatus.VERIFIED
    assert [e.type for e in stream.events[-2:]] == ["ReportApproved", "ReportVerified"]
    verified = stream.events[-1].data
    assert isinstance(verified, ReportVerified)
    assert verified.final_tier is Tier.KOTA
    assert verified.counts_for_performance is False
    assert verified.content == final.content


def test_counts_for_performance_by_default_and_a_lower_tiers_flag_carries() -> None:
    stream = Stream()
    stream.submit()
    for official in (LURAH, CAMAT, PEMKOT):
        stream.decide(official, Approve())
    assert stream.current().counts_for_performance is True

    stream = Stream()
    stream.submit()
    stream.decide(LURAH, Approve(counts_for_performance=False))
    stream.decide(CAMAT, Approve())
    stream.decide(PEMKOT, Approve())
    assert stream.current().counts_for_performance is False


@pytest.mark.parametrize("rejecting", [LURAH, CAMAT, PEMKOT])
def test_a_rejection_waits_for_a_revision_which_restarts_at_the_lurah(
    rejecting: Decider,
) -> None:
    stream = Stream()
    stream.submit()
    for official in (LURAH, CAMAT, PEMKOT):
        if official is rejecting:
            break
        stream.decide(official, Approve())
    rejected = stream.decide(rejecting, REJECT)
    assert rejected.status is ReportStatus.AWAITING_REVISION
    assert rejected.tier is None
    data = stream.events[-1].data
    assert isinstance(data, ReportRejected)
    assert data.reason_code is RejectionReason.NO_EVIDENCE
    assert stream.events[-1].routing_key == f"report.rejected.{data.tier}"
    revised = stream.revise(MONDAY + timedelta(days=7))
    assert revised.status is ReportStatus.AWAITING_KELURAHAN
    assert revised.round == 2
    assert revised.due_at == (MONDAY + timedelta(days=7)).replace(day=12, hour=17)


@pytest.mark.parametrize("decider", NON_VERIFIERS)
def test_roles_that_never_decide_are_refused(decider: Decider) -> None:
    stream = Stream()
    stream.submit()
    with pytest.raises(NotAVerifier):
        stream.decide(decider, Approve())


@pytest.mark.parametrize("decider", OUTSIDERS)
def test_verifiers_of_other_areas_are_refused_as_if_the_report_did_not_exist(
    decider: Decider,
) -> None:
    stream = Stream()
    stream.submit()
    stream.decide(LURAH, Approve())
    stream.decide(CAMAT, Approve())
    with pytest.raises(OutsideJurisdiction):
        stream.decide(decider, Approve())


def test_the_wrong_tier_a_stale_version_and_a_closed_report_conflict() -> None:
    stream = Stream()
    stream.submit()
    with pytest.raises(NotYourTurn) as wrong:
        stream.decide(CAMAT, Approve())
    assert wrong.value.reason == "wrong_tier"
    stream.decide(LURAH, Approve(), expected_version=1)
    with pytest.raises(NotYourTurn) as stale:
        stream.decide(CAMAT, Approve(), expected_version=1)
    assert stale.value.reason == "stale"
    with pytest.raises(NotYourTurn) as again:
        stream.decide(LURAH, Approve())
    assert again.value.reason == "wrong_tier"
    stream.decide(CAMAT, REJECT)
    with pytest.raises(NotYourTurn) as closed:
        stream.decide(LURAH, Approve())
    assert closed.value.reason == "closed"


def test_a_city_may_skip_the_kecamatan_tier() -> None:
    policy = Policy(city_chains={"16.73": (Tier.KELURAHAN, Tier.KOTA)})
    stream = Stream(policy=policy)
    stream.submit()
    assert stream.decide(LURAH, Approve()).status is ReportStatus.AWAITING_KOTA
    with pytest.raises(NotYourTurn):
        stream.decide(CAMAT, Approve())
    assert stream.decide(PEMKOT, Approve()).status is ReportStatus.VERIFIED


def test_working_days_per_tier_are_configurable() -> None:
    policy = Policy(working_days={Tier.KELURAHAN: 1, Tier.KECAMATAN: 5, Tier.KOTA: 3})
    stream = Stream(policy=policy)
    assert stream.submit().due_at == MONDAY.replace(day=3, hour=17)
    assert stream.decide(LURAH, Approve()).due_at == MONDAY.replace(day=9, hour=17)


def test_an_overdue_tier_is_flagged_once_per_tier_and_round() -> None:
    stream = Stream()
    due = stream.submit().due_at
    assert due is not None
    assert not stream.check_deadline(due - timedelta(seconds=1))
    assert stream.check_deadline(due)
    assert stream.events[-1].routing_key == "report.overdue.kelurahan"
    assert not stream.check_deadline(due + timedelta(days=30))
    assert stream.current().overdue
    # The overdue tier may still decide; the next tier gets its own clock and its own notice.
    late = due + timedelta(days=1)
    next_due = stream.decide(LURAH, Approve(), late).due_at
    assert next_due is not None and not stream.current().overdue
    assert stream.check_deadline(next_due)
    stream.decide(CAMAT, REJECT, next_due)
    assert not stream.check_deadline(next_due + timedelta(days=30))  # awaiting the RT: no clock
    revised_due = stream.revise(next_due).due_at
    assert revised_due is not None
    assert stream.check_deadline(revised_due)  # a new round: the lurah's clock again
    overdue = [e.routing_key for e in stream.events if e.type == "VerificationOverdue"]
    assert overdue == [
        "report.overdue.kelurahan",
        "report.overdue.kecamatan",
        "report.overdue.kelurahan",
    ]


def test_decisions_name_the_decider_and_the_time() -> None:
    stream = Stream()
    stream.submit()
    at = MONDAY + timedelta(hours=3)
    stream.decide(LURAH, Approve(note="Lengkap"), at)
    envelope = stream.events[-1]
    data = envelope.data
    assert isinstance(data, ReportApproved)
    assert data.decided_at == at
    assert data.note == "Lengkap"
    assert data.verifier.subject == LURAH.subject
    assert envelope.actor.role is Role.LURAH
    assert envelope.routing_key == "report.approved.kelurahan"
