"""No sequence of submissions, revisions, decisions by any role and passing time reaches a state
the rules forbid.

Hypothesis drives the pure aggregate with random commands; after every step the whole stream is
checked against the rules, read independently of the fold that produced it, and the fold's
status against a plain model of the workflow.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from verification_support import MONDAY, NON_VERIFIERS, OFFICIAL, OUTSIDERS, Stream

from sipokat.events.catalogue import (
    RejectionReason,
    ReportApproved,
    ReportRejected,
    ReportRevised,
    ReportVerified,
    Tier,
    VerificationOverdue,
)
from sipokat.events.testing import wilayah_path
from sipokat.verification.domain import (
    TIER_CHAIN,
    TIER_ROLE,
    Approve,
    Command,
    Decider,
    DecisionRefused,
    Reject,
    ReportStatus,
    area_of,
    awaiting,
)

EVERYONE = (*OFFICIAL.values(), *OUTSIDERS, *NON_VERIFIERS)
PATH = wilayah_path()
WAITING_FOR = {awaiting(tier): tier for tier in TIER_CHAIN}

commands = st.one_of(
    st.builds(Approve, counts_for_performance=st.none() | st.booleans()),
    st.builds(Reject, st.sampled_from(RejectionReason), st.just("Perbaiki")),
)


class Workflow(RuleBasedStateMachine):
    @initialize()
    def submit(self) -> None:
        self.now = MONDAY
        self.stream = Stream()
        self.stream.submit(self.now)
        self.expected = awaiting(TIER_CHAIN[0])  # the model: what the rules say stands now

    @rule(hours=st.integers(min_value=1, max_value=96))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule()
    def scheduler_looks(self) -> None:
        self.stream.check_deadline(self.now)

    @precondition(lambda self: self.expected is ReportStatus.AWAITING_REVISION)
    @rule()
    def rt_revises(self) -> None:
        self.stream.revise(self.now)
        self.expected = awaiting(TIER_CHAIN[0])

    @rule(
        decider=st.sampled_from(EVERYONE),
        command=commands,
        stale=st.booleans(),
    )
    def someone_decides(self, decider: Decider, command: Command, stale: bool) -> None:
        before = len(self.stream.events)
        version = self.stream.current().version - (1 if stale else 0)
        tier = WAITING_FOR.get(self.expected)
        allowed = (
            tier is not None
            and TIER_ROLE[tier] == decider.role
            and decider.wilayah == area_of(tier, PATH)
            and not stale
        )
        try:
            self.stream.decide(decider, command, self.now, expected_version=version)
        except DecisionRefused:
            assert not allowed, f"{decider} was refused {command} at {self.expected}"
            assert len(self.stream.events) == before, "a refused decision changed the stream"
            return
        assert allowed and tier is not None, f"{decider} decided {command} at {self.expected}"
        if isinstance(command, Reject):
            self.expected = ReportStatus.AWAITING_REVISION
        elif tier is TIER_CHAIN[-1]:
            self.expected = ReportStatus.VERIFIED
        else:
            self.expected = awaiting(TIER_CHAIN[TIER_CHAIN.index(tier) + 1])

    @invariant()
    def the_fold_agrees_with_the_model(self) -> None:
        assert self.stream.current().status is self.expected

    @invariant()
    def the_stream_keeps_the_rules(self) -> None:
        events = self.stream.events
        assert [e.stream_version for e in events] == list(range(1, len(events) + 1))
        approved_in_round: list[Tier] = []
        overdue_in_round: set[Tier] = set()
        rejected = closed = False
        for envelope in events[1:]:
            data = envelope.data
            assert not closed, "nothing follows a verified report"
            if isinstance(data, ReportRevised):
                approved_in_round, overdue_in_round, rejected = [], set(), False
                continue
            if isinstance(data, ReportApproved | ReportRejected):
                # Only the tier's official, in their own area, decides; tiers go in order.
                assert not rejected, "a decision on a rejected report before its revision"
                assert envelope.actor.role is TIER_ROLE[data.tier]
                assert envelope.actor.wilayah == area_of(data.tier, PATH)
                assert data.tier is TIER_CHAIN[len(approved_in_round)]
                if isinstance(data, ReportApproved):
                    approved_in_round.append(data.tier)
                else:
                    rejected = True
            elif isinstance(data, ReportVerified):
                assert tuple(approved_in_round) == TIER_CHAIN, "verified without every tier"
                closed = True
            elif isinstance(data, VerificationOverdue):
                assert not rejected, "a report waiting for its RT has no deadline"
                assert data.tier not in overdue_in_round, "a second overdue for one tier"
                assert data.due_at <= data.detected_at
                assert data.tier is TIER_CHAIN[len(approved_in_round)]
                overdue_in_round.add(data.tier)


Workflow.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestWorkflow = Workflow.TestCase
