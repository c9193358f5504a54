"""Open311 GeoReport v2 over verified reports (pure, no I/O).

Civic tools that speak Open311 (FixMyStreet, SeeClickFix clients) read the platform as a list
of services and service requests:

- a **service** is a bidang: `service_code` is the bidang value, `service_name` its Indonesian
  label; every service is `realtime` without metadata;
- a **service request** is a verified report: its id, the verified content, the RT's address
  and the moments it was submitted and verified. Nothing about people: no verifier, no subject,
  no notes, no photos.

What a verified report's status means depends on its kind: an activity (kegiatan) is done, so
the request is `closed`; a proposal (usulan) awaits realisation, so it stays `open`; a fund
progress report (progres_dana) is `closed` at 100% and `open` at 0% and 50%.

The search criteria of GET requests are parsed here too, so each rule of the standard (the
90-day window, at most 1000 results, comma lists) is a unit-tested function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sipokat.analytics.domain.counters import WIB, month_of
from sipokat.events.catalogue import Bidang, ReportKind, ReportVerified, Tier, WilayahPath

# The standard's bounds for GET requests.
MAX_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
YEARS = (1900, 2999)

OPEN, CLOSED = "open", "closed"
STATUSES = (OPEN, CLOSED)

# The fields of a service request, in the standard's order: also the whitelist of what leaves.
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)

BIDANG_NAMES: dict[Bidang, tuple[str, str]] = {
    Bidang.PEMERINTAHAN: (
        "Pemerintahan",
        "Kegiatan, usulan dan progres dana RT di bidang pemerintahan: administrasi warga, "
        "rapat RT, pendataan.",
    ),
    Bidang.KESEHATAN_LINGKUNGAN: (
        "Kesehatan Lingkungan",
        "Kebersihan, sanitasi, posyandu, pemberantasan sarang nyamuk, pengelolaan sampah.",
    ),
    Bidang.KEAMANAN_KETERTIBAN: (
        "Keamanan dan Ketertiban",
        "Ronda, siskamling, ketertiban lingkungan dan penanganan gangguan keamanan.",
    ),
    Bidang.SOSIAL_KEMASYARAKATAN: (
        "Sosial Kemasyarakatan",
        "Gotong royong, bantuan sosial, kegiatan warga dan kepemudaan.",
    ),
    Bidang.KEAGAMAAN: ("Keagamaan", "Kegiatan keagamaan dan sarana ibadah di lingkungan RT."),
    Bidang.PEMBANGUNAN: (
        "Pembangunan",
        "Perbaikan jalan, drainase, jembatan dan sarana umum lingkungan RT.",
    ),
    Bidang.EKONOMI: ("Ekonomi", "Usaha warga, koperasi, pasar dan pemberdayaan ekonomi."),
}
SERVICE_GROUP = "Laporan RT"
_KEYWORDS = ",".join(kind.value for kind in ReportKind)

# Who passed the report at its final tier, as the public knows them.
_VERIFIED_BY = {Tier.KELURAHAN: "lurah", Tier.KECAMATAN: "camat", Tier.KOTA: "Pemkot"}


class Open311Error(ValueError):
    """A request an Open311 client made wrongly (or asked for what is not there)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def services() -> list[dict[str, Any]]:
    """The service list: one service per bidang."""
    return [
        {
            "service_code": bidang.value,
            "service_name": name,
            "description": description,
            "metadata": False,
            "type": "realtime",
            "keywords": f"{bidang.value},{_KEYWORDS}",
            "group": SERVICE_GROUP,
        }
        for bidang, (name, description) in BIDANG_NAMES.items()
    ]


def status_of(data: ReportVerified) -> str:
    content = data.content
    if content.kind is ReportKind.USULAN:
        return OPEN
    if content.kind is ReportKind.PROGRES_DANA and content.fund is not None:
        return CLOSED if content.fund.progress_percent == 100 else OPEN
    return CLOSED


def status_notes(data: ReportVerified) -> str:
    verified = f"Terverifikasi oleh {_VERIFIED_BY[data.final_tier]}"
    content = data.content
    if content.kind is ReportKind.USULAN:
        return f"{verified}; usulan menunggu realisasi"
    if content.kind is ReportKind.PROGRES_DANA and content.fund is not None:
        return f"{verified}; progres dana {content.fund.progress_percent}%"
    return f"{verified}; kegiatan telah dilaksanakan"


def address_of(path: WilayahPath) -> str:
    rt = path.rt_code.rsplit("/", 1)[1]
    return (
        f"RT {rt}, Kelurahan {path.kelurahan_name}, Kecamatan {path.kecamatan_name}, "
        f"{path.kota_name}"
    )


def _moment(at: datetime) -> str:
    # The cities are in WIB; the standard wants the offset written out.
    return at.astimezone(WIB).isoformat()


def request_document(data: ReportVerified, submitted_at: datetime | None) -> dict[str, Any]:
    """The stored document of a verified report: the request's fields, plus the jurisdiction
    and the WIB month of submission, the two fields the store can select by equality.

    `submitted_at` is None for a report whose submission was applied before its time was
    recorded; its verification time stands in until a rebuild.
    """
    content, path = data.content, data.wilayah
    requested = submitted_at or data.verified_at
    name, _ = BIDANG_NAMES[content.bidang]
    location = content.location
    return {
        "jurisdiction_id": path.kota_code,
        "requested_month": month_of(requested),
        "service_request_id": str(data.report_id),
        "status": status_of(data),
        "status_notes": status_notes(data),
        "service_name": name,
        "service_code": content.bidang.value,
        "description": f"{content.title}\n\n{content.description}",
        "agency_responsible": f"Kelurahan {path.kelurahan_name}",
        "service_notice": None,
        "requested_datetime": _moment(requested),
        "updated_datetime": _moment(data.verified_at),
        "expected_datetime": None,
        "address": address_of(path),
        "address_id": path.rt_code,
        "zipcode": None,
        "lat": location.latitude if location else None,
        "long": location.longitude if location else None,
        # Photos are not public (DESIGN §6).
        "media_url": None,
    }


def public_request(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What a client sees of a stored document: the standard's fields and nothing else."""
    return {name: doc.get(name) for name in REQUEST_FIELDS}


# ---------------------------------------------------------------- search criteria


@dataclass(frozen=True)
class Search:
    """GET requests' criteria, checked. With `service_request_ids` the others are ignored,
    as the standard says (the ids override every other argument but the jurisdiction)."""

    jurisdiction_id: str
    start: datetime
    end: datetime
    service_request_ids: tuple[str, ...] = ()
    service_codes: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()

    def months(self) -> list[str]:
        """The WIB months the window touches (at most four for 90 days)."""
        first, last = self.start.astimezone(WIB), self.end.astimezone(WIB)
        year, month = first.year, first.month
        months = []
        while (year, month) <= (last.year, last.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def matches(self, doc: Mapping[str, Any]) -> bool:
        if doc.get("jurisdiction_id") != self.jurisdiction_id:
            return False
        if self.service_request_ids:
            return doc["service_request_id"] in self.service_request_ids
        requested = datetime.fromisoformat(doc["requested_datetime"])
        return (
            self.start <= requested <= self.end
            and (not self.service_codes or doc["service_code"] in self.service_codes)
            and (not self.statuses or doc["status"] in self.statuses)
        )


def comma_list(values: Iterable[str]) -> list[str]:
    """A parameter declared once comma-delimited, or several times, as one list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_jurisdiction(values: Sequence[str], served: Mapping[str, str]) -> str:
    """The kota asked for; it may be left out only while one kota is served."""
    known = ", ".join(f"{code} ({name})" for code, name in served.items())
    given = comma_list(values)
    if not given:
        if len(served) == 1:
            return next(iter(served))
        raise Open311Error(400, f"jurisdiction_id is required: this endpoint serves {known}")
    if len(given) > 1:
        raise Open311Error(400, f"give one jurisdiction_id, not {len(given)}: one of {known}")
    if given[0] not in served:
        raise Open311Error(
            404, f"jurisdiction_id {given[0]!r} was not found: this endpoint serves {known}"
        )
    return given[0]


def parse_datetime(name: str, value: str) -> datetime:
    example = "2026-03-01T00:00:00+07:00 or 2026-02-28T17:00:00Z"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(400, f"{name} {value!r} is not a W3C datetime like {example}") from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} {value!r} has no time zone: write it like {example}")
    # Far-off years would overflow the window arithmetic; no report is dated there anyway.
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise Open311Error(
            400, f"{name} {value!r} is out of range: years {YEARS[0]} to {YEARS[1]} only"
        )
    return moment


def parse_window(start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """The requested_datetime window: the last 90 days by default, never more than 90 days."""
    first = parse_datetime("start_date", start) if start else None
    last = parse_datetime("end_date", end) if end else None
    if first is None and last is None:
        return now - MAX_WINDOW, now
    if first is None:
        assert last is not None
        return last - MAX_WINDOW, last
    if last is None:
        return first, first + MAX_WINDOW
    if last < first:
        raise Open311Error(400, f"end_date {end} is before start_date {start}")
    if last - first > MAX_WINDOW:
        days = (last - first).total_seconds() / 86400
        raise Open311Error(
            400,
            f"start_date {start} to end_date {end} spans {days:.1f} days; "
            f"the range may not exceed {MAX_WINDOW.days} days",
        )
    return first, last


def parse_search(
    params: Mapping[str, Sequence[str]], served: Mapping[str, str], now: datetime
) -> Search:
    """GET requests' query parameters (each as all its declared values) as a `Search`."""

    def one(name: str) -> str | None:
        values = [v for v in params.get(name, ()) if v.strip()]
        if len(values) > 1:
            raise Open311Error(400, f"{name} may be given once, not {len(values)} times")
        return values[0].strip() if values else None

    jurisdiction = parse_jurisdiction(params.get("jurisdiction_id", ()), served)
    ids = tuple(dict.fromkeys(comma_list(params.get("service_request_id", ()))))
    if len(ids) > MAX_REQUESTS:
        raise Open311Error(
            400, f"at most {MAX_REQUESTS} service_request_id values at once, not {len(ids)}"
        )
    codes = comma_list(params.get("service_code", ()))
    unknown = [c for c in codes if c not in {b.value for b in Bidang}]
    if unknown:
        raise Open311Error(
            400,
            f"service_code {', '.join(unknown)} is not a service: "
            f"use one of {', '.join(b.value for b in Bidang)}",
        )
    statuses = comma_list(params.get("status", ()))
    wrong = [s for s in statuses if s not in STATUSES]
    if wrong:
        raise Open311Error(400, f"status {', '.join(wrong)} is not open or closed")
    first, last = parse_window(one("start_date"), one("end_date"), now)
    return Search(jurisdiction, first, last, ids, frozenset(codes), frozenset(statuses))


def select(docs: Iterable[Mapping[str, Any]], search: Search) -> list[dict[str, Any]]:
    """The matching requests, newest submission first, at most `MAX_REQUESTS`."""
    found = [doc for doc in docs if search.matches(doc)]
    found.sort(key=lambda d: d["service_request_id"])
    found.sort(key=lambda d: datetime.fromisoformat(d["requested_datetime"]), reverse=True)
    return [public_request(doc) for doc in found[:MAX_REQUESTS]]
