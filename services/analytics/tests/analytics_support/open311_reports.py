"""Report streams for the Open311 tests, at chosen moments and with recognisable personal data
(subjects, verifier names, notes) that the public output must never carry."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sipokat.events.catalogue import (
    Bidang,
    BidangDana,
    FundProgress,
    GeoPoint,
    RejectionReason,
    ReportApproved,
    ReportContent,
    ReportKind,
    ReportRejected,
    ReportSubmitted,
    ReportVerified,
    Tier,
    Verifier,
)
from sipokat.events.envelope import Actor, Envelope, EventData, Role
from sipokat.wilayah import load_default_directory

RT_HEAD_SUBJECT = "ketua-rt-subjek-7f3a"
VERIFIER_SUBJECT = "verifikator-subjek-91c2"
VERIFIER_NAME = "Ibu Ratna Verifikatorwati"
APPROVAL_NOTE = "Catatan internal lurah 5521"
REJECTION_NOTE = "Alasan penolakan rahasia 8830"
PRIVATE = (RT_HEAD_SUBJECT, VERIFIER_SUBJECT, VERIFIER_NAME, APPROVAL_NOTE, REJECTION_NOTE)

LUBUKLINGGAU_RT = "16.73.01.1001/002"
KEDIRI_RT = next(
    rt
    for city in load_default_directory().cities
    if city.code == "35.71"
    for rt in city.kecamatan[0].kelurahan[0].rt_codes()[:1]
)
_ROLE = {Tier.KELURAHAN: Role.LURAH, Tier.KECAMATAN: Role.CAMAT, Tier.KOTA: Role.PEMKOT}


def content(
    kind: ReportKind = ReportKind.KEGIATAN,
    bidang: Bidang = Bidang.PEMBANGUNAN,
    progress: int | None = None,
    title: str = "Perbaikan saluran air",
    location: GeoPoint | None = None,
) -> ReportContent:
    fund = None
    if kind is ReportKind.PROGRES_DANA:
        fund = FundProgress(
            programme="Prodamas 2026",
            amount_rupiah=50_000_000,
            progress_percent=progress if progress is not None else 50,  # type: ignore[arg-type]
            bidang_dana=BidangDana.INFRASTRUKTUR,
        )
    return ReportContent(
        kind=kind,
        bidang=bidang,
        title=title,
        description="Saluran di depan balai RT dibersihkan dan diperbaiki.",
        activity_date=datetime(2026, 1, 1).date(),
        location=location,
        fund=fund,
    )


class Report:
    """One report's stream; every event after the submission is a verifier's."""

    def __init__(self, rt: str = LUBUKLINGGAU_RT, report_id: UUID | None = None) -> None:
        self.path = load_default_directory().rt_path(rt)
        self.report_id = report_id or uuid4()
        self.events: list[Envelope] = []

    def _add(self, data: EventData, at: datetime, actor: Actor) -> Envelope:
        envelope = Envelope.wrap(
            data,
            stream_version=len(self.events) + 1,
            source="test",
            actor=actor,
            correlation_id="open311-test",
            occurred_at=at,
        )
        self.events.append(envelope)
        return envelope

    def _verifier(self, tier: Tier) -> Actor:
        return Actor(subject=VERIFIER_SUBJECT, role=_ROLE[tier], wilayah=self.path.kota_code)

    def submit(self, body: ReportContent, at: datetime) -> Report:
        data = ReportSubmitted(report_id=self.report_id, wilayah=self.path, content=body)
        rt_head = Actor(subject=RT_HEAD_SUBJECT, role=Role.KETUA_RT, wilayah=self.path.rt_code)
        self._add(data, at, rt_head)
        return self

    def approve_all(self, at: datetime) -> Report:
        tiers = list(Tier)
        for index, tier in enumerate(tiers):
            next_tier = tiers[index + 1] if index + 1 < len(tiers) else None
            data = ReportApproved(
                report_id=self.report_id,
                wilayah=self.path,
                tier=tier,
                verifier=Verifier(subject=VERIFIER_SUBJECT, name=VERIFIER_NAME),
                note=APPROVAL_NOTE,
                counts_for_performance=True if next_tier is None else None,
                decided_at=at,
                next_tier=next_tier,
                next_due_at=at + timedelta(days=3) if next_tier else None,
            )
            self._add(data, at, self._verifier(tier))
        return self

    def verify(self, body: ReportContent, at: datetime) -> Report:
        data = ReportVerified(
            report_id=self.report_id,
            wilayah=self.path,
            final_tier=Tier.KOTA,
            counts_for_performance=True,
            verified_at=at,
            content=body,
        )
        self._add(data, at, self._verifier(Tier.KOTA))
        return self

    def reject(self, tier: Tier, at: datetime) -> Report:
        data = ReportRejected(
            report_id=self.report_id,
            wilayah=self.path,
            tier=tier,
            verifier=Verifier(subject=VERIFIER_SUBJECT, name=VERIFIER_NAME),
            reason_code=RejectionReason.NO_EVIDENCE,
            note=REJECTION_NOTE,
            decided_at=at,
        )
        self._add(data, at, self._verifier(tier))
        return self


def verified(
    body: ReportContent,
    submitted_at: datetime,
    verified_at: datetime | None = None,
    rt: str = LUBUKLINGGAU_RT,
) -> Report:
    """A report submitted, approved at every tier and verified (a day later by default)."""
    done = verified_at or submitted_at + timedelta(days=1)
    return Report(rt).submit(body, submitted_at).approve_all(done).verify(body, done)
