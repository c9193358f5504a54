"""Valid envelopes of every event type, for one RT in Pelita Jaya (Kota Lubuklinggau)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypedDict, Unpack
from uuid import UUID, uuid4

from sipokat.events.catalogue import (
    Bidang,
    BidangDana,
    FundProgress,
    PhotoRef,
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
