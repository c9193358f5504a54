"""The report list as a spreadsheet's rows and as map features (pure: list entries in, cells or
GeoJSON out). The CSV's columns are those of FixMyStreet's export, per tier of Sipokat: its
"Report URL" is the report's page in the console (a person opens it, signs in and reads it; the
API's address would answer them 401), and latitude and longitude come last as there."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sipokat.events.catalogue import Bidang, ReportKind, Tier
from sipokat.events.labels import BIDANG_LABELS, KIND_LABELS, STATUS_LABELS, Label
from sipokat.events.store.base import Document
from sipokat.runtime.csvexport import Cell
from sipokat.runtime.messages import Language
from sipokat.verification.domain import WIB

# (column, Indonesian header, English header)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("report_id", "ID laporan", "Report ID"),
    ("title", "Judul", "Title"),
    ("detail", "Uraian", "Detail"),
    ("bidang", "Bidang", "Field"),
    ("kind", "Jenis", "Kind"),
    ("kelurahan", "Kelurahan", "Kelurahan"),
    ("rt", "RT", "RT"),
    ("submitted", "Dikirim", "Submitted"),
    ("lurah", "Diputuskan lurah", "Lurah's decision"),
    ("camat", "Diputuskan camat", "Camat's decision"),
    ("pemkot", "Diputuskan pemkot", "City office's decision"),
    ("status", "Status", "Status"),
    ("url", "URL", "URL"),
    ("kecamatan", "Kecamatan", "Kecamatan"),
    ("activity_date", "Tanggal kegiatan", "Activity date"),
    ("latitude", "Lintang", "Latitude"),
    ("longitude", "Bujur", "Longitude"),
)
# Where the console (apps/console) shows one report, below the public base URL.
REPORT_PAGE = "/console/#/report/"
TIER_COLUMNS = {Tier.KELURAHAN: "lurah", Tier.KECAMATAN: "camat", Tier.KOTA: "pemkot"}


def header(language: Language) -> list[str]:
    return [en if language == "en" else id_ for _, id_, en in COLUMNS]


def wib(moment: str | None) -> str | None:
    """An ISO time as WIB with its offset (`2026-03-02T09:00:00+07:00`): what the city reads."""
    if moment is None:
        return None
    return datetime.fromisoformat(moment).astimezone(WIB).isoformat(timespec="seconds")


def _label(label: Label, language: Language) -> str:
    return label.en if language == "en" else label.id


def row(entry: Document, language: Language, url_base: str) -> Sequence[Cell]:
    decided = entry.get("decided_at", {})
    location = entry.get("location") or {}
    cells: dict[str, Cell] = {
        "report_id": entry["report_id"],
        "title": entry["title"],
        "detail": entry["description"],
        "bidang": _label(BIDANG_LABELS[Bidang(entry["bidang"])], language),
        "kind": _label(KIND_LABELS[ReportKind(entry["kind"])], language),
        "kelurahan": entry["wilayah"]["kelurahan_name"],
        "rt": entry["rt"],
        "submitted": wib(entry["submitted_at"]),
        "status": _label(STATUS_LABELS[entry["status"]], language),
        "url": f"{url_base}{REPORT_PAGE}{entry['report_id']}",
        "kecamatan": entry["wilayah"]["kecamatan_name"],
        "activity_date": entry["activity_date"],
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
    }
    for tier, column in TIER_COLUMNS.items():
        cells[column] = wib(decided.get(str(tier)))
    return [cells[name] for name, _, _ in COLUMNS]


def feature(entry: Document) -> Document:
    """A verified report with a location as a GeoJSON Feature (RFC 7946: longitude first)."""
    where = entry["wilayah"]
    location = entry["location"]
    return {
        "type": "Feature",
        "id": entry["report_id"],
        "geometry": {"type": "Point", "coordinates": [location["longitude"], location["latitude"]]},
        "properties": {
            "report_id": entry["report_id"],
            "title": entry["title"],
            "kind": entry["kind"],
            "bidang": entry["bidang"],
            "rt_code": entry["rt"],
            "kelurahan_code": where["kelurahan_code"],
            "kelurahan_name": where["kelurahan_name"],
            "activity_date": entry["activity_date"],
            "submitted_at": entry["submitted_at"],
        },
    }
