"""The public page's words and numbers in the reader's language: Indonesian by default, English
with `?lang=en`. Numbers are grouped as each language writes them (id: 1.857, en: 1,857)."""

from __future__ import annotations

from typing import Literal

Language = Literal["id", "en"]

WORDS: dict[Language, dict[str, str]] = {
    "id": {
        "title": "Transparansi kegiatan RT",
        "sub": "Laporan yang telah diverifikasi lurah, camat dan pemerintah kota",
        "city": "Kota",
        "area": "Wilayah",
        "whole_city": "Seluruh kota",
        "from": "Dari bulan",
        "to": "Sampai bulan",
        "show": "Tampilkan",
        "verified_total": "laporan terverifikasi",
        "per_kelurahan": "Per kelurahan",
        "per_rt": "Per RT",
        "verified": "Laporan terverifikasi",
        "none": "Belum ada laporan terverifikasi",
        "chart": "Laporan terverifikasi per kelurahan",
        "data": "Data JSON",
        "csv": "CSV dengan",
        "switch": "English",
        "switch_lang": "en",
        "kec": "Kec.",
        "kel": "Kel.",
    },
    "en": {
        "title": "RT activity transparency",
        "sub": "Reports verified by the lurah, the camat and the city government",
        "city": "City",
        "area": "Area",
        "whole_city": "Whole city",
        "from": "From month",
        "to": "To month",
        "show": "Show",
        "verified_total": "verified reports",
        "per_kelurahan": "Per kelurahan",
        "per_rt": "Per RT",
        "verified": "Verified reports",
        "none": "No verified reports yet",
        "chart": "Verified reports per kelurahan",
        "data": "JSON data",
        "csv": "CSV with",
        "switch": "Bahasa Indonesia",
        "switch_lang": "id",
        "kec": "Kec.",
        "kel": "Kel.",
    },
}


def language(asked: str | None) -> Language:
    return "en" if asked == "en" else "id"


def number(value: int, lang: Language) -> str:
    """An integer grouped in thousands as the language writes it: 2.200.000 / 2,200,000."""
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if lang == "id" else grouped
