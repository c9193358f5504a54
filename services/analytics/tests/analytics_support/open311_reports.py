"""Report streams (`ReportStream`) for the Open311 tests, at chosen moments and with recognisable
personal data (subjects, verifier names, notes) that the public output must never carry."""

from __future__ import annotations

from datetime import datetime, timedelta

from sipokat.events.catalogue import (
    Bidang,
    BidangDana,
    FundProgress,
    GeoPoint,
    ReportContent,
    ReportKind,
    Tier,
)
from sipokat.events.testing import ReportStream
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


def report(rt: str = LUBUKLINGGAU_RT) -> ReportStream:
    """A report's stream in `rt` whose every subject and verifier's name is personal data."""
    return ReportStream(
        wilayah=load_default_directory().rt_path(rt),
        rt_head_subject=RT_HEAD_SUBJECT,
        verifier_subject=VERIFIER_SUBJECT,
        verifier_name=VERIFIER_NAME,
        correlation_id="open311-test",
    )


def submitted_report(body: ReportContent, at: datetime, rt: str = LUBUKLINGGAU_RT) -> ReportStream:
    stream = report(rt)
    stream.submit(body, at)
    return stream


def verified(
    body: ReportContent,
    submitted_at: datetime,
    verified_at: datetime | None = None,
    rt: str = LUBUKLINGGAU_RT,
) -> ReportStream:
    """A report submitted, approved at every tier (with a private note) and verified (a day
    later by default)."""
    done = verified_at or submitted_at + timedelta(days=1)
    stream = submitted_report(body, submitted_at, rt)
    for tier in Tier:
        stream.approve(tier, done, note=APPROVAL_NOTE)
    stream.verify(body, done)
    return stream
