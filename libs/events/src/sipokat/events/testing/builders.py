"""Valid envelopes of every event type, for one RT in Pelita Jaya (Kota Lubuklinggau)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypedDict, Unpack
from uuid import UUID, uuid4

from sipokat.events.catalogue import (
    Bidang,
    BidangDana,
    FundProgress,
    PhotoRef,
    PostEnded,
    PostStarted,
    RejectionReason,
    ReportApproved,
    ReportContent,
    ReportKind,
    ReportRejected,
    ReportRevised,
    ReportSubmitted,
    ReportVerified,
    Tier,
    VerificationOverdue,
    Verifier,
    WilayahPath,
)
from sipokat.events.envelope import Actor, Envelope, EventData, Role, utc_now

KOTA = ("16.73", "Kota Lubuk Linggau")
KECAMATAN = ("16.73.02", "Lubuk Linggau Barat I")
KELURAHAN = ("16.73.02.1019", "Pelita Jaya")
RT_CODE = "16.73.02.1019/007"

SOURCE_INTAKE = "intake"
SOURCE_VERIFICATION = "verification"
SOURCE_IDENTITY = "identity"
ADMIN = Actor(subject="admin-1", role=Role.ADMIN)


def wilayah_path(rt_code: str = RT_CODE) -> WilayahPath:
    """The path of an RT in Pelita Jaya, Lubuk Linggau Barat I (`rt_code` may name another RT
    number there, e.g. 16.73.02.1019/003)."""
    return WilayahPath(
        kota_code=KOTA[0],
        kota_name=KOTA[1],
        kecamatan_code=KECAMATAN[0],
        kecamatan_name=KECAMATAN[1],
        kelurahan_code=KELURAHAN[0],
        kelurahan_name=KELURAHAN[1],
        rt_code=rt_code,
    )


def ketua_rt(rt_code: str = RT_CODE) -> Actor:
    return Actor(subject=f"ketua-rt:{rt_code}", role=Role.KETUA_RT, wilayah=rt_code)


def verifier_actor(tier: Tier) -> Actor:
    role, wilayah = {
        Tier.KELURAHAN: (Role.LURAH, KELURAHAN[0]),
        Tier.KECAMATAN: (Role.CAMAT, KECAMATAN[0]),
        Tier.KOTA: (Role.PEMKOT, KOTA[0]),
    }[tier]
    return Actor(subject=f"{role}:{wilayah}", role=role, wilayah=wilayah)


def make_content(
    kind: ReportKind = ReportKind.KEGIATAN,
    *,
    bidang: Bidang = Bidang.KESEHATAN_LINGKUNGAN,
    title: str = "Gotong royong membersihkan saluran air",
    **overrides: Any,
) -> ReportContent:
    fields: dict[str, Any] = {
        "kind": kind,
        "bidang": bidang,
        "title": title,
        "description": "Warga RT 007 membersihkan parit sepanjang Jalan Pelita.",
        "activity_date": date(2026, 3, 14),
        "photos": [PhotoRef(sha256="ab" * 32, content_type="image/jpeg")],
    }
    if kind is ReportKind.PROGRES_DANA:
        fields["fund"] = FundProgress(
            programme="Prodamas 2026",
            amount_rupiah=50_000_000,
            progress_percent=50,
            bidang_dana=BidangDana.INFRASTRUKTUR,
        )
    fields.update(overrides)
    return ReportContent(**fields)


class EnvelopeIds(TypedDict, total=False):
    """What a test may pin of an envelope's identity and causes; the rest is made fresh."""

    event_id: UUID | None
    correlation_id: str | None
    causation_id: UUID | None


def _wrap(
    data: EventData,
    *,
    stream_version: int,
    source: str,
    actor: Actor,
    **ids: Unpack[EnvelopeIds],
) -> Envelope:
    # Tests are not type-checked: a misspelt keyword must fail here, not be ignored.
    if unknown := ids.keys() - EnvelopeIds.__annotations__.keys():
        raise TypeError(f"unexpected keyword arguments: {sorted(unknown)}")
    envelope = Envelope.wrap(
        data,
        stream_version=stream_version,
        source=source,
        actor=actor,
        correlation_id=ids.get("correlation_id") or f"req-{uuid4().hex[:12]}",
        causation_id=ids.get("causation_id"),
    )
    if (event_id := ids.get("event_id")) is not None:
        envelope = envelope.model_copy(update={"event_id": event_id})
    return envelope


def make_submitted(
    report_id: UUID | None = None,
    *,
    stream_version: int = 1,
    rt_code: str = RT_CODE,
    kind: ReportKind = ReportKind.KEGIATAN,
    content: ReportContent | None = None,
    **ids: Unpack[EnvelopeIds],
) -> Envelope:
    data = ReportSubmitted(
        report_id=report_id or uuid4(),
        wilayah=wilayah_path(rt_code),
        content=content or make_content(kind),
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_INTAKE,
        actor=ketua_rt(rt_code),
        **ids,
    )


def make_revised(
    report_id: UUID,
    *,
    stream_version: int,
    revision: int = 1,
    rt_code: str = RT_CODE,
    content: ReportContent | None = None,
    **ids: Unpack[EnvelopeIds],
) -> Envelope:
    data = ReportRevised(
        report_id=report_id,
        wilayah=wilayah_path(rt_code),
        revision=revision,
        content=content or make_content(title="Gotong royong (foto diperbaiki)"),
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_INTAKE,
        actor=ketua_rt(rt_code),
        **ids,
    )


_NEXT_TIER = {Tier.KELURAHAN: Tier.KECAMATAN, Tier.KECAMATAN: Tier.KOTA, Tier.KOTA: None}
_TIER_ROLE = {Tier.KELURAHAN: Role.LURAH, Tier.KECAMATAN: Role.CAMAT, Tier.KOTA: Role.PEMKOT}


def make_approved(
    report_id: UUID,
    *,
    stream_version: int,
    tier: Tier = Tier.KELURAHAN,
    rt_code: str = RT_CODE,
    **ids: Unpack[EnvelopeIds],
) -> Envelope:
    decided = utc_now()
    next_tier = _NEXT_TIER[tier]
    data = ReportApproved(
        report_id=report_id,
        wilayah=wilayah_path(rt_code),
        tier=tier,
        verifier=Verifier(subject=verifier_actor(tier).subject, name="Verifikator"),
        note="Sesuai",
        counts_for_performance=True if next_tier is None else None,
        decided_at=decided,
        next_tier=next_tier,
        next_due_at=decided + timedelta(days=3) if next_tier else None,
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_VERIFICATION,
        actor=verifier_actor(tier),
        **ids,
    )


def make_rejected(
    report_id: UUID,
    *,
    stream_version: int,
    tier: Tier = Tier.KELURAHAN,
    reason: RejectionReason = RejectionReason.NO_EVIDENCE,
    rt_code: str = RT_CODE,
    **ids: Unpack[EnvelopeIds],
) -> Envelope:
    data = ReportRejected(
        report_id=report_id,
        wilayah=wilayah_path(rt_code),
        tier=tier,
        verifier=Verifier(subject=verifier_actor(tier).subject),
        reason_code=reason,
        note="Foto kegiatan tidak terlihat jelas",
        decided_at=utc_now(),
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_VERIFICATION,
        actor=verifier_actor(tier),
        **ids,
    )


def make_verified(
    report_id: UUID,
    *,
    stream_version: int,
    rt_code: str = RT_CODE,
    content: ReportContent | None = None,
    **ids: Unpack[EnvelopeIds],
) -> Envelope:
    data = ReportVerified(
        report_id=report_id,
        wilayah=wilayah_path(rt_code),
        final_tier=Tier.KOTA,
        counts_for_performance=True,
        verified_at=utc_now(),
        content=content or make_content(),
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_VERIFICATION,
        actor=verifier_actor(Tier.KOTA),
        **ids,
    )


def make_overdue(
    report_id: UUID,
    *,
    stream_version: int,
    tier: Tier = Tier.KELURAHAN,
    rt_code: str = RT_CODE,
    **ids: Unpack[EnvelopeIds],
) -> Envelope:
    detected = utc_now()
    data = VerificationOverdue(
        report_id=report_id,
        wilayah=wilayah_path(rt_code),
        tier=tier,
        due_at=detected - timedelta(hours=1),
        detected_at=detected,
    )
    return _wrap(
        data,
        stream_version=stream_version,
        source=SOURCE_VERIFICATION,
        actor=Actor(subject="verification", role=Role.SYSTEM),
        **ids,
    )


def sample_events(report_id: UUID | None = None) -> list[Envelope]:
    """One valid envelope of every event type, as consecutive versions of one report's stream."""
    rid = report_id or uuid4()
    return [
        make_submitted(rid, stream_version=1),
        make_rejected(rid, stream_version=2),
        make_revised(rid, stream_version=3),
        make_overdue(rid, stream_version=4),
        make_approved(rid, stream_version=5, tier=Tier.KELURAHAN),
        make_approved(rid, stream_version=6, tier=Tier.KECAMATAN),
        make_approved(rid, stream_version=7, tier=Tier.KOTA),
        make_verified(rid, stream_version=8),
    ]


def make_post_started(
    account_id: UUID | None = None,
    *,
    stream_version: int = 1,
    role: Role = Role.KETUA_RT,
    wilayah: str | None = RT_CODE,
    **ids: Unpack[EnvelopeIds],
) -> Envelope:
    data = PostStarted(
        account_id=account_id or uuid4(), role=role, wilayah=wilayah, started_at=utc_now()
    )
    return _wrap(data, stream_version=stream_version, source=SOURCE_IDENTITY, actor=ADMIN, **ids)


def make_post_ended(
    account_id: UUID | None = None,
    *,
    stream_version: int = 2,
    role: Role = Role.KETUA_RT,
    wilayah: str | None = RT_CODE,
    ended_at: datetime | None = None,
    **ids: Unpack[EnvelopeIds],
) -> Envelope:
    ended = ended_at or utc_now()
    data = PostEnded(
        account_id=account_id or uuid4(),
        role=role,
        wilayah=wilayah,
        started_at=ended - timedelta(days=400),
        ended_at=ended,
    )
    return _wrap(data, stream_version=stream_version, source=SOURCE_IDENTITY, actor=ADMIN, **ids)


def sample_post_events(account_id: UUID | None = None) -> list[Envelope]:
    """One valid envelope of each post event type, as consecutive versions of one account's
    stream."""
    aid = account_id or uuid4()
    return [make_post_started(aid, stream_version=1), make_post_ended(aid, stream_version=2)]


def make_stream(count: int, report_id: UUID | None = None, *, start: int = 1) -> list[Envelope]:
    """`count` consecutive events of one report's stream (versions `start`..), types cycling."""
    rid = report_id or uuid4()
    builders: list[Callable[[int], Envelope]] = [
        lambda v: make_rejected(rid, stream_version=v),
        lambda v: make_revised(rid, stream_version=v),
        lambda v: make_overdue(rid, stream_version=v),
        lambda v: make_approved(rid, stream_version=v),
    ]
    events = []
    for version in range(start, start + count):
        if version == 1:
            events.append(make_submitted(rid, stream_version=1))
        else:
            events.append(builders[version % len(builders)](version))
    return events


@dataclass
class ReportStream:
    """One report's stream, built event by event at chosen moments (`at`, default now), each
    event at the next stream version; `events` is the stream so far.

    Any RT's path may be given (`wilayah`, e.g. from the directory); the subjects and the
    verifier's name may be pinned (a test that checks personal data never leaks pins them).
    Each method returns the envelope it added.
    """

    wilayah: WilayahPath = field(default_factory=wilayah_path)
    report_id: UUID = field(default_factory=uuid4)
    rt_head_subject: str | None = None  # default `ketua-rt:<RT>`
    verifier_subject: str | None = None  # default `<role>:<the tier's area>`
    verifier_name: str | None = "Verifikator"
    correlation_id: str = field(default_factory=lambda: f"req-{uuid4().hex[:12]}")
    events: list[Envelope] = field(default_factory=list)

    def add(
        self, data: EventData, actor: Actor, *, source: str, at: datetime | None = None
    ) -> Envelope:
        """Any payload of this report, as the next event of the stream."""
        envelope = Envelope.wrap(
            data,
            stream_version=len(self.events) + 1,
            source=source,
            actor=actor,
            correlation_id=self.correlation_id,
            occurred_at=at,
        )
        self.events.append(envelope)
        return envelope

    def rt_head(self) -> Actor:
        rt_code = self.wilayah.rt_code
        subject = self.rt_head_subject or f"ketua-rt:{rt_code}"
        return Actor(subject=subject, role=Role.KETUA_RT, wilayah=rt_code)

    def verifier(self, tier: Tier) -> Actor:
        role = _TIER_ROLE[tier]
        area = {
            Tier.KELURAHAN: self.wilayah.kelurahan_code,
            Tier.KECAMATAN: self.wilayah.kecamatan_code,
            Tier.KOTA: self.wilayah.kota_code,
        }[tier]
        return Actor(subject=self.verifier_subject or f"{role}:{area}", role=role, wilayah=area)

    def _by(self, tier: Tier) -> Verifier:
        return Verifier(subject=self.verifier(tier).subject, name=self.verifier_name)

    def _content(self) -> ReportContent:
        """The content last submitted or revised, as a verification carries it."""
        for envelope in reversed(self.events):
            if isinstance(envelope.data, ReportSubmitted | ReportRevised):
                return envelope.data.content
        return make_content()

    def submit(self, content: ReportContent | None = None, at: datetime | None = None) -> Envelope:
        data = ReportSubmitted(
            report_id=self.report_id, wilayah=self.wilayah, content=content or make_content()
        )
        return self.add(data, self.rt_head(), source=SOURCE_INTAKE, at=at)

    def revise(
        self,
        content: ReportContent | None = None,
        at: datetime | None = None,
        *,
        revision: int | None = None,
    ) -> Envelope:
        """A revision (numbered after those in the stream unless `revision` is given)."""
        data = ReportRevised(
            report_id=self.report_id,
            wilayah=self.wilayah,
            revision=revision or 1 + sum(e.type == "ReportRevised" for e in self.events),
            content=content or make_content(title="Gotong royong (foto diperbaiki)"),
        )
        return self.add(data, self.rt_head(), source=SOURCE_INTAKE, at=at)

    def approve(
        self,
        tier: Tier = Tier.KELURAHAN,
        at: datetime | None = None,
        *,
        note: str | None = "Sesuai",
        counts: bool = True,
    ) -> Envelope:
        """An approval, due at the next tier three days later; `counts` at the last tier."""
        decided = at or utc_now()
        next_tier = _NEXT_TIER[tier]
        data = ReportApproved(
            report_id=self.report_id,
            wilayah=self.wilayah,
            tier=tier,
            verifier=self._by(tier),
            note=note,
            counts_for_performance=counts if next_tier is None else None,
            decided_at=decided,
            next_tier=next_tier,
            next_due_at=decided + timedelta(days=3) if next_tier else None,
        )
        return self.add(data, self.verifier(tier), source=SOURCE_VERIFICATION, at=decided)

    def reject(
        self,
        tier: Tier = Tier.KELURAHAN,
        at: datetime | None = None,
        *,
        reason: RejectionReason = RejectionReason.NO_EVIDENCE,
        note: str = "Foto kegiatan tidak terlihat jelas",
    ) -> Envelope:
        decided = at or utc_now()
        data = ReportRejected(
            report_id=self.report_id,
            wilayah=self.wilayah,
            tier=tier,
            verifier=self._by(tier),
            reason_code=reason,
            note=note,
            decided_at=decided,
        )
        return self.add(data, self.verifier(tier), source=SOURCE_VERIFICATION, at=decided)

    def overdue(
        self,
        tier: Tier = Tier.KELURAHAN,
        at: datetime | None = None,
        *,
        due_at: datetime | None = None,
    ) -> Envelope:
        """The deadline at `tier` found passed at `at` (due then, unless `due_at` is given)."""
        detected = at or utc_now()
        data = VerificationOverdue(
            report_id=self.report_id,
            wilayah=self.wilayah,
            tier=tier,
            due_at=due_at or detected,
            detected_at=detected,
        )
        system = Actor(subject=SOURCE_VERIFICATION, role=Role.SYSTEM)
        return self.add(data, system, source=SOURCE_VERIFICATION, at=detected)

    def verify(
        self,
        content: ReportContent | None = None,
        at: datetime | None = None,
        *,
        counts: bool = True,
    ) -> Envelope:
        """The final verification, carrying `content` (default: the last submitted or revised)."""
        verified = at or utc_now()
        data = ReportVerified(
            report_id=self.report_id,
            wilayah=self.wilayah,
            final_tier=Tier.KOTA,
            counts_for_performance=counts,
            verified_at=verified,
            content=content or self._content(),
        )
        return self.add(data, self.verifier(Tier.KOTA), source=SOURCE_VERIFICATION, at=verified)
