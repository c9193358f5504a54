"""Test support: a report stream driven through the pure domain, and the deciders of the
default RT of `sipokat.events.testing` (Pelita Jaya, Lubuk Linggau Barat I, Kota Lubuk Linggau).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid4

from sipokat.events.catalogue import Tier
from sipokat.events.envelope import Actor, Envelope, EventData, Role
from sipokat.events.testing import KECAMATAN, KELURAHAN, KOTA, make_revised, make_submitted
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
    """A report's stream as verification's store would hold it, without the store."""

    policy: Policy = field(default_factory=Policy)
    report_id: UUID = field(default_factory=uuid4)
    events: list[Envelope] = field(default_factory=list)

    @property
    def state(self) -> Report | None:
        return domain.fold(self.events, self.policy)

    def current(self) -> Report:
        state = self.state
        assert state is not None, "nothing submitted yet"
        return state

    def submit(self, at: datetime = MONDAY) -> Report:
        submitted = make_submitted(self.report_id, stream_version=len(self.events) + 1)
        self.events.append(submitted.model_copy(update={"occurred_at": at}))
        return self.current()

    def revise(self, at: datetime = MONDAY) -> Report:
        revision = 1 + sum(e.type == "ReportRevised" for e in self.events)
        revised = make_revised(
            self.report_id, stream_version=len(self.events) + 1, revision=revision
        )
        self.events.append(revised.model_copy(update={"occurred_at": at}))
        return self.current()

    def record(self, payloads: list[EventData], decider: Decider | None, at: datetime) -> None:
        actor = SYSTEM if decider is None else domain_actor(decider)
        for payload in payloads:
            self.events.append(
                Envelope.wrap(
                    payload,
                    stream_version=len(self.events) + 1,
                    source="verification",
                    actor=actor,
                    correlation_id="test",
                    occurred_at=at,
                )
            )

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
