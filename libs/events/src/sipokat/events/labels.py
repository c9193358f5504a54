"""The words a person reads for the catalogue's vocabulary, in Indonesian and English.

A client shows these (`GET /v1/config`) instead of the codes; every member of each vocabulary
has its label (tests/test_labels.py), so a new bidang cannot reach a screen without words.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final, NamedTuple, TypeVar

from sipokat.events.catalogue import Bidang, BidangDana, ReportKind


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


Code = TypeVar("Code", bound=StrEnum)


def labelled(labels: Mapping[Code, Label]) -> list[dict[str, object]]:
    """`[{code, label: {id, en}}]` in the vocabulary's own order."""
    return [{"code": str(code), "label": label._asdict()} for code, label in labels.items()]
