"""Test support: a report stream driven through the pure domain, and the deciders of the
default RT of `sipokat.events.testing` (Pelita Jaya, Lubuk Linggau Barat I, Kota Lubuk Linggau).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from sipokat.events.catalogue import Tier
from sipokat.events.envelope import Actor, Envelope, EventData, Role
from sipokat.events.testing import KECAMATAN, KELURAHAN, KOTA, ReportStream
from sipokat.verification import domain
from sipokat.verification.domain import Command, Decider, Policy, Report

# A Monday morning in WIB (02:00 UTC = 09:00 WIB).
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

LURAH = Decider("lurah-pelita-jaya", Role.LURAH, KELURAHAN[0], "Lurah Pelita Jaya")
CAMAT = Decider("camat-llg-barat-i", Role.CAMAT, KECAMATAN[0])
PEMKOT = Decider("bagian-pemerintahan", Role.PEMKOT, KOTA[0])
OFFICIAL: dict[Tier, Decider] = {
    Tier.KELURAHAN: LURAH,
    Tier.KECAMATAN: CAMAT,
    Tier.KOTA: PEMKOT,
}
# Verifiers of neighbouring areas, and roles that never decide.
OUTSIDERS = (
    Decider("lurah-lain", Role.LURAH, "16.73.02.1018"),
    Decider("camat-lain", Role.CAMAT, "16.73.01"),
    Decider("pemkot-kediri", Role.PEMKOT, "35.71"),
)
SYSTEM = Actor(subject="verification-scheduler", role=Role.SYSTEM)
NON_VERIFIERS = (
    Decider("rt-007", Role.KETUA_RT, "16.73.02.1019/007"),
    Decider("admin", Role.ADMIN, None),
    Decider("integrator", Role.INTEGRATOR, None),
)


@dataclass
class Stream:
    """A report's stream (the shared `ReportStream`) driven through the pure domain, as
    verification's store would hold it, without the store."""

    policy: Policy = field(default_factory=Policy)
    report: ReportStream = field(default_factory=ReportStream)

    @property
    def report_id(self) -> UUID:
        return self.report.report_id

    @property
    def events(self) -> list[Envelope]:
        return self.report.events

    @property
    def state(self) -> Report | None:
        return domain.fold(self.events, self.policy)

    def current(self) -> Report:
        state = self.state
        assert state is not None, "nothing submitted yet"
        return state

    def submit(self, at: datetime = MONDAY) -> Report:
        self.report.submit(at=at)
        return self.current()

    def revise(self, at: datetime = MONDAY) -> Report:
        self.report.revise(at=at)
        return self.current()

    def record(self, payloads: list[EventData], decider: Decider | None, at: datetime) -> None:
        actor = SYSTEM if decider is None else domain_actor(decider)
        for payload in payloads:
            self.report.add(payload, actor, source="verification", at=at)

    def decide(
        self,
        decider: Decider,
        command: Command,
        at: datetime = MONDAY,
        expected_version: int | None = None,
    ) -> Report:
        payloads = domain.decide(
            self.current(), decider, command, self.policy, at, expected_version=expected_version
        )
        self.record(payloads, decider, at)
        return self.current()

    def check_deadline(self, at: datetime) -> bool:
        notice = domain.overdue(self.current(), at)
        if notice is not None:
            self.record([notice], None, at)
        return notice is not None


def domain_actor(decider: Decider) -> Actor:
    return Actor(subject=decider.subject, role=decider.role, wilayah=decider.wilayah)
