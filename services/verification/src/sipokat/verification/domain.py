"""Verification's pure rules: the report aggregate folded from its stream, and its decisions.

The stream `report-<uuid>` holds intake's ReportSubmitted / ReportRevised and verification's own
decisions. Folding it gives where the report stands; `decide` and `overdue` say which events a
command or the passing of time adds. Nothing here does I/O or reads a clock: `now` is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

from sipokat.events.catalogue import (
    RejectionReason,
    ReportApproved,
    ReportContent,
    ReportRejected,
    ReportRevised,
    ReportSubmitted,
    ReportVerified,
    Tier,
    VerificationOverdue,
    Verifier,
    WilayahPath,
)
from sipokat.events.envelope import Envelope, EventData, Role

# Working days in WIB (Asia/Jakarta): Monday to Friday, minus the configured public holidays.
# A tier that has N working days to decide must do so by the end of the N-th working day after the
# day (in WIB) the report reached it. The day of arrival never counts, so a report that arrives late
# on a Friday afternoon gets the same three full working days as one that arrives on Monday morning.
WIB = ZoneInfo("Asia/Jakarta")
_SATURDAY = 5


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def with_holidays(cls, holidays: Iterable[date]) -> WorkingCalendar:
        return cls(frozenset(holidays))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < _SATURDAY and day not in self.holidays

    def due_after(self, start: datetime, working_days: int) -> datetime:
        """The end (midnight WIB, as UTC) of the `working_days`-th working day after `start`."""
        if working_days < 1:
            raise ValueError("a tier needs at least one working day")
        day = start.astimezone(WIB).date()
        counted = 0
        while counted < working_days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=WIB)
        return end_of_day.astimezone(UTC)


TIER_CHAIN: tuple[Tier, ...] = (Tier.KELURAHAN, Tier.KECAMATAN, Tier.KOTA)
TIER_ROLE: Mapping[Tier, Role] = {
    Tier.KELURAHAN: Role.LURAH,
    Tier.KECAMATAN: Role.CAMAT,
    Tier.KOTA: Role.PEMKOT,
}
ROLE_TIER: Mapping[Role, Tier] = {role: tier for tier, role in TIER_ROLE.items()}


def area_of(tier: Tier, wilayah: WilayahPath) -> str:
    """The code of the area whose verifier decides `tier` for a report of this RT."""
    return {
        Tier.KELURAHAN: wilayah.kelurahan_code,
        Tier.KECAMATAN: wilayah.kecamatan_code,
        Tier.KOTA: wilayah.kota_code,
    }[tier]


class ReportStatus(StrEnum):
    AWAITING_KELURAHAN = "awaiting_kelurahan"
    AWAITING_KECAMATAN = "awaiting_kecamatan"
    AWAITING_KOTA = "awaiting_kota"
    AWAITING_REVISION = "awaiting_revision"
    VERIFIED = "verified"


def awaiting(tier: Tier) -> ReportStatus:
    return ReportStatus(f"awaiting_{tier}")


@dataclass(frozen=True)
class Policy:
    """The configured rules: tier chain per city (by kota code), working days per tier."""

    default_chain: tuple[Tier, ...] = TIER_CHAIN
    city_chains: Mapping[str, tuple[Tier, ...]] = field(default_factory=dict)
    working_days: Mapping[Tier, int] = field(default_factory=lambda: dict.fromkeys(Tier, 3))
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)

    def chain_for(self, wilayah: WilayahPath) -> tuple[Tier, ...]:
        return self.city_chains.get(wilayah.kota_code, self.default_chain)

    def next_tier(self, wilayah: WilayahPath, tier: Tier) -> Tier | None:
        chain = self.chain_for(wilayah)
        if tier not in chain:
            return None
        position = chain.index(tier)
        return chain[position + 1] if position + 1 < len(chain) else None

    def due_at(self, tier: Tier, start: datetime) -> datetime:
        return self.calendar.due_after(start, self.working_days.get(tier, 3))


@dataclass(frozen=True)
class Report:
    """The report aggregate: where it stands after the last event of its stream."""

    report_id: UUID
    wilayah: WilayahPath
    content: ReportContent
    version: int
    status: ReportStatus
    # 1 for the submission, then one more for every revision: an overdue is due once per round.
    round: int
    tier: Tier | None
    due_at: datetime | None
    overdue: bool
    # The event that put the report before the current tier (or rejected it): the causation of
    # whatever that tier does next.
    opened_by: UUID
    # The latest explicit flag of this round; a higher tier's word overrides a lower one's.
    counts_for_performance: bool | None = None


def evolve(state: Report | None, envelope: Envelope, policy: Policy) -> Report | None:
    data = envelope.data
    if isinstance(data, ReportSubmitted | ReportRevised):
        # A revision always restarts the review at the first tier, whatever stood before.
        first = policy.chain_for(data.wilayah)[0]
        return Report(
            report_id=data.report_id,
            wilayah=data.wilayah,
            content=data.content,
            version=envelope.stream_version,
            status=awaiting(first),
            round=data.revision + 1 if isinstance(data, ReportRevised) else 1,
            tier=first,
            due_at=policy.due_at(first, envelope.occurred_at),
            overdue=False,
            opened_by=envelope.event_id,
        )
    if state is None:
        return None  # nothing before a submission can be folded
    state = replace(state, version=envelope.stream_version)
    if isinstance(data, ReportApproved):
        counts = state.counts_for_performance
        if data.counts_for_performance is not None:
            counts = data.counts_for_performance
        if data.next_tier is None:
            return replace(
                state,
                status=ReportStatus.VERIFIED,
                tier=None,
                due_at=None,
                overdue=False,
                counts_for_performance=counts,
            )
        return replace(
            state,
            status=awaiting(data.next_tier),
            tier=data.next_tier,
            due_at=data.next_due_at or policy.due_at(data.next_tier, data.decided_at),
            overdue=False,
            opened_by=envelope.event_id,
            counts_for_performance=counts,
        )
    if isinstance(data, ReportRejected):
        return replace(
            state,
            status=ReportStatus.AWAITING_REVISION,
            tier=None,
            due_at=None,
            overdue=False,
            opened_by=envelope.event_id,
            counts_for_performance=None,
        )
    if isinstance(data, ReportVerified):
        return replace(
            state,
            status=ReportStatus.VERIFIED,
            tier=None,
            due_at=None,
            counts_for_performance=data.counts_for_performance,
        )
    if isinstance(data, VerificationOverdue) and data.tier == state.tier:
        return replace(state, overdue=True)
    return state


def fold(events: Iterable[Envelope], policy: Policy) -> Report | None:
    state: Report | None = None
    for envelope in events:
        state = evolve(state, envelope, policy)
    return state


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Decider:
    subject: str
    role: Role
    wilayah: str | None
    name: str | None = None


@dataclass(frozen=True)
class Approve:
    note: str | None = None
    counts_for_performance: bool | None = None


@dataclass(frozen=True)
class Reject:
    reason: RejectionReason
    note: str


Command = Approve | Reject


class DecisionRefused(Exception):
    """A decision the rules do not allow; the subclass says how the API answers."""


class NotAVerifier(DecisionRefused):
    """The caller's role never decides (403)."""


class OutsideJurisdiction(DecisionRefused):
    """The report is not in the caller's area: answered like an unknown report (404)."""


class NotYourTurn(DecisionRefused):
    """The report is not waiting for this decision (409 with the current state)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def tier_of(decider: Decider) -> Tier:
    """The tier the caller decides for, whatever the report; a role that never decides is
    refused before any report is looked at, so the answer does not tell which reports exist."""
    tier = ROLE_TIER.get(decider.role)
    if tier is None:
        raise NotAVerifier(f"role {decider.role} does not verify reports")
    return tier


def decide(
    state: Report,
    decider: Decider,
    command: Command,
    policy: Policy,
    now: datetime,
    *,
    expected_version: int | None = None,
) -> list[EventData]:
    """The events a verifier's decision adds to the stream, or why it is refused."""
    tier = tier_of(decider)
    if decider.wilayah != area_of(tier, state.wilayah):
        raise OutsideJurisdiction(f"the report is not in {decider.wilayah}")
    if expected_version is not None and expected_version != state.version:
        raise NotYourTurn(
            "stale", f"the report is at version {state.version}, not {expected_version}"
        )
    if state.tier is None:
        raise NotYourTurn("closed", f"the report is {state.status}: no tier decides now")
    if tier != state.tier:
        raise NotYourTurn("wrong_tier", f"the report awaits the {state.tier} tier, not {tier}")
    verifier = Verifier(subject=decider.subject, name=decider.name)
    common = {"report_id": state.report_id, "wilayah": state.wilayah, "tier": tier}
    if isinstance(command, Reject):
        return [
            ReportRejected(
                **common,
                verifier=verifier,
                reason_code=command.reason,
                note=command.note,
                decided_at=now,
            )
        ]
    next_tier = policy.next_tier(state.wilayah, tier)
    approved = ReportApproved(
        **common,
        verifier=verifier,
        note=command.note,
        counts_for_performance=command.counts_for_performance,
        decided_at=now,
        next_tier=next_tier,
        next_due_at=policy.due_at(next_tier, now) if next_tier else None,
    )
    if next_tier is not None:
        return [approved]
    counts = command.counts_for_performance
    if counts is None:
        # Nobody said otherwise: verified work counts.
        counts = True if state.counts_for_performance is None else state.counts_for_performance
    verified = ReportVerified(
        report_id=state.report_id,
        wilayah=state.wilayah,
        final_tier=tier,
        counts_for_performance=counts,
        verified_at=now,
        content=state.content,
    )
    return [approved, verified]


def overdue(state: Report, now: datetime) -> VerificationOverdue | None:
    """The overdue notice the current tier has earned, at most one per tier and round."""
    if state.tier is None or state.due_at is None or state.overdue or now < state.due_at:
        return None
    return VerificationOverdue(
        report_id=state.report_id,
        wilayah=state.wilayah,
        tier=state.tier,
        due_at=state.due_at,
        detected_at=now,
    )
