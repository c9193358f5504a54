"""The words a person reads for the catalogue's vocabulary, in Indonesian and English.

A client shows these (`GET /v1/config`) instead of the codes; every member of each vocabulary
has its label (tests/test_labels.py), so a new bidang, status or rejection reason cannot reach a
screen without words. The apps keep no copy: the RT app and the console read them from the
config, the CSV export from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple, TypeVar, get_args

from sipokat.events.catalogue import Bidang, BidangDana, RejectionReason, ReportKind
from sipokat.events.reportviews import ReportStatusName


class Label(NamedTuple):
    id: str
    en: str


KIND_LABELS: Final[Mapping[ReportKind, Label]] = {
    ReportKind.KEGIATAN: Label("Kegiatan", "Activity"),
    ReportKind.USULAN: Label("Usulan", "Proposal"),
    ReportKind.PROGRES_DANA: Label("Progres dana", "Fund progress"),
}

BIDANG_LABELS: Final[Mapping[Bidang, Label]] = {
    Bidang.PEMERINTAHAN: Label("Pemerintahan", "Governance"),
    Bidang.KESEHATAN_LINGKUNGAN: Label("Kesehatan lingkungan", "Environmental health"),
    Bidang.KEAMANAN_KETERTIBAN: Label("Keamanan dan ketertiban", "Security and public order"),
    Bidang.SOSIAL_KEMASYARAKATAN: Label("Sosial kemasyarakatan", "Social and community"),
    Bidang.KEAGAMAAN: Label("Keagamaan", "Religious affairs"),
    Bidang.PEMBANGUNAN: Label("Pembangunan", "Development"),
    Bidang.EKONOMI: Label("Ekonomi", "Economy"),
}

# How a fund programme's money is split (the PRODAMAS guideline).
BIDANG_DANA_LABELS: Final[Mapping[BidangDana, Label]] = {
    BidangDana.INFRASTRUKTUR: Label("Infrastruktur", "Infrastructure"),
    BidangDana.SOSIAL: Label("Sosial", "Social"),
    BidangDana.EKONOMI: Label("Ekonomi", "Economic"),
}

# A report's standing as the status API names it (`ReportStatusName`), in the API's order.
STATUS_LABELS: Final[Mapping[str, Label]] = {
    "awaiting_kelurahan": Label("Menunggu verifikasi lurah", "Awaiting the lurah"),
    "awaiting_kecamatan": Label("Menunggu verifikasi camat", "Awaiting the camat"),
    "awaiting_kota": Label("Menunggu verifikasi pemkot", "Awaiting the city office"),
    "awaiting_revision": Label("Ditolak, perlu diperbaiki", "Rejected, to be revised"),
    "verified": Label("Terverifikasi", "Verified"),
}
STATUSES: Final[tuple[str, ...]] = get_args(ReportStatusName)

# Why a verifier sent a report back; the RT head reads it beside the verifier's note.
REASON_LABELS: Final[Mapping[RejectionReason, Label]] = {
    RejectionReason.INCOMPLETE: Label("Kurang lengkap", "Incomplete"),
    RejectionReason.NOT_RT_WORK: Label("Bukan kegiatan RT", "Not RT work"),
    RejectionReason.DUPLICATE: Label("Laporan ganda", "Duplicate report"),
    RejectionReason.NO_EVIDENCE: Label("Tidak ada bukti", "No evidence"),
    RejectionReason.WRONG_FIELD: Label("Bidang salah", "Wrong bidang"),
    RejectionReason.OTHER: Label("Alasan lain", "Other reason"),
}

Code = TypeVar("Code", bound=str)  # a vocabulary's StrEnum, or the status names


def labelled(labels: Mapping[Code, Label]) -> list[dict[str, object]]:
    """`[{code, label: {id, en}}]` in the vocabulary's own order."""
    return [{"code": str(code), "label": label._asdict()} for code, label in labels.items()]
