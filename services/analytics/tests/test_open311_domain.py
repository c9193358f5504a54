"""The Open311 mapping and search criteria, pure: verified content and path → request."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from analytics_support.open311_reports import PRIVATE, content, submitted_report, verified

from sipokat.analytics.domain import ReportFacts, fold, new_facts
from sipokat.analytics.domain.open311 import (
    MAX_REQUESTS,
    REQUEST_FIELDS,
    Open311Error,
    Search,
    parse_jurisdiction,
    parse_search,
    parse_window,
    public_request,
    request_document,
    select,
    services,
)
from sipokat.analytics.entrypoints.open311 import render, to_xml
from sipokat.events.catalogue import Bidang, GeoPoint, ReportKind, ReportVerified

SUBMITTED = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
SERVED = {"16.73": "Kota Lubuk Linggau", "35.71": "Kota Kediri"}


def verified_data(kind: ReportKind, progress: int | None = None, **kw: Any) -> ReportVerified:
    data = verified(content(kind, progress=progress, **kw), SUBMITTED).events[-1].data
    assert isinstance(data, ReportVerified)
    return data


@pytest.mark.parametrize(
    ("kind", "progress", "status", "note"),
    [
        (ReportKind.KEGIATAN, None, "closed", "kegiatan telah dilaksanakan"),
        (ReportKind.USULAN, None, "open", "usulan menunggu realisasi"),
        (ReportKind.PROGRES_DANA, 0, "open", "progres dana 0%"),
        (ReportKind.PROGRES_DANA, 50, "open", "progres dana 50%"),
        (ReportKind.PROGRES_DANA, 100, "closed", "progres dana 100%"),
    ],
)
def test_status_follows_the_kind_and_fund_progress(
    kind: ReportKind, progress: int | None, status: str, note: str
) -> None:
    doc = request_document(verified_data(kind, progress), SUBMITTED)
    assert doc["status"] == status
    assert doc["status_notes"] == f"Terverifikasi oleh Pemkot; {note}"


def test_a_request_carries_the_verified_content_address_and_moments() -> None:
    data = verified_data(
        ReportKind.KEGIATAN,
        bidang=Bidang.KESEHATAN_LINGKUNGAN,
        location=GeoPoint(latitude=-3.2945, longitude=102.8614),
    )
    doc = request_document(data, SUBMITTED)
    assert doc["jurisdiction_id"] == "16.73"
    assert doc["service_request_id"] == str(data.report_id)
    assert (doc["service_code"], doc["service_name"]) == (
        "kesehatan_lingkungan",
        "Kesehatan Lingkungan",
    )
    assert doc["description"] == (
        "Perbaikan saluran air\n\nSaluran di depan balai RT dibersihkan dan diperbaiki."
    )
    assert doc["agency_responsible"] == "Kelurahan Air Kuti"
    assert doc["address"] == (
        "RT 002, Kelurahan Air Kuti, Kecamatan Lubuk Linggau Timur I, Kota Lubuk Linggau"
    )
    assert doc["address_id"] == "16.73.01.1001/002"
    # Moments in WIB with the offset written out; submitted 02:30 UTC is 09:30 WIB.
    assert doc["requested_datetime"] == "2026-03-01T09:30:00+07:00"
    assert doc["updated_datetime"] == "2026-03-02T09:30:00+07:00"
    assert doc["requested_month"] == "2026-03"
    assert (doc["lat"], doc["long"]) == (-3.2945, 102.8614)
    assert doc["media_url"] is None and doc["expected_datetime"] is None


def test_without_a_recorded_submission_time_the_verification_time_stands_in() -> None:
    data = verified_data(ReportKind.USULAN)
    doc = request_document(data, None)
    assert doc["requested_datetime"] == doc["updated_datetime"]
    assert (doc["lat"], doc["long"]) == (None, None)


def test_the_fold_records_when_a_report_was_first_submitted() -> None:
    report = submitted_report(content(), SUBMITTED)
    outcome = fold(new_facts(report.events[0]), report.events[0])
    assert outcome is not None
    assert outcome.facts.submitted_at == SUBMITTED.isoformat()
    # Facts stored before the field existed still load.
    old = outcome.facts.to_doc()
    del old["submitted_at"]
    assert ReportFacts.from_doc(old).submitted_at is None


def test_public_request_is_the_standard_fields_only_and_no_people() -> None:
    doc = request_document(verified_data(ReportKind.KEGIATAN), SUBMITTED)
    public = public_request(doc)
    assert tuple(public) == REQUEST_FIELDS
    assert "jurisdiction_id" not in public and "requested_month" not in public
    assert not any(secret in repr(public) for secret in PRIVATE)


def test_one_service_per_bidang() -> None:
    listed = services()
    assert [s["service_code"] for s in listed] == [b.value for b in Bidang]
    assert all(s["metadata"] is False and s["type"] == "realtime" for s in listed)
    assert all(s["service_name"] and s["description"] and s["group"] for s in listed)
    assert dict((s["service_code"], s["service_name"]) for s in listed)["keamanan_ketertiban"] == (
        "Keamanan dan Ketertiban"
    )


# ---------------------------------------------------------------- search criteria


def test_the_default_window_is_the_last_90_days() -> None:
    assert parse_window(None, None, NOW) == (NOW - timedelta(days=90), NOW)


def test_one_end_of_the_window_gives_90_days_from_it() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_window("2026-01-01T00:00:00Z", None, NOW) == (start, start + timedelta(days=90))
    end = datetime(2026, 2, 1, 7, tzinfo=UTC)
    assert parse_window(None, "2026-02-01T14:00:00+07:00", NOW) == (
        end - timedelta(days=90),
        end,
    )


def test_exactly_90_days_is_allowed_one_second_more_is_not() -> None:
    parse_window("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z", NOW)
    with pytest.raises(Open311Error) as error:
        parse_window("2026-01-01T00:00:00Z", "2026-04-01T00:00:01Z", NOW)
    assert error.value.code == 400 and "may not exceed 90 days" in error.value.description


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        ("yesterday", None, "'yesterday' is not a W3C datetime"),
        ("2026-03-01T00:00:00", None, "has no time zone"),
        (None, "2026-13-01T00:00:00Z", "end_date '2026-13-01T00:00:00Z' is not a W3C"),
        ("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z", "is before start_date"),
        ("9999-12-31T00:00:00Z", None, "out of range"),
    ],
)
def test_bad_dates_say_what_is_wrong(start: str | None, end: str | None, says: str) -> None:
    with pytest.raises(Open311Error) as error:
        parse_window(start, end, NOW)
    assert error.value.code == 400 and says in error.value.description


def test_jurisdiction_is_required_while_two_cities_are_served() -> None:
    with pytest.raises(Open311Error) as error:
        parse_jurisdiction([], SERVED)
    assert error.value.code == 400
    assert "16.73 (Kota Lubuk Linggau), 35.71 (Kota Kediri)" in error.value.description
    assert parse_jurisdiction([], {"16.73": "Kota Lubuk Linggau"}) == "16.73"
    with pytest.raises(Open311Error) as unknown:
        parse_jurisdiction(["99.99"], SERVED)
    assert unknown.value.code == 404 and "'99.99' was not found" in unknown.value.description
    assert parse_jurisdiction(["35.71"], SERVED) == "35.71"


def test_lists_are_comma_delimited_or_repeated() -> None:
    search = parse_search(
        {
            "jurisdiction_id": ["16.73"],
            "service_code": ["pembangunan,ekonomi", "keagamaan"],
            "status": ["open, closed"],
            "service_request_id": ["a,b", "a"],
        },
        SERVED,
        NOW,
    )
    assert search.service_codes == {"pembangunan", "ekonomi", "keagamaan"}
    assert search.statuses == {"open", "closed"}
    assert search.service_request_ids == ("a", "b")


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"service_code": ["jalan_rusak"]}, "service_code jalan_rusak is not a service"),
        ({"status": ["pending"]}, "status pending is not open or closed"),
        ({"start_date": ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"]}, "given once"),
        ({"service_request_id": [",".join(str(i) for i in range(1001))]}, "at most 1000"),
    ],
)
def test_bad_criteria_say_what_is_wrong(params: dict[str, list[str]], says: str) -> None:
    with pytest.raises(Open311Error) as error:
        parse_search({"jurisdiction_id": ["16.73"], **params}, SERVED, NOW)
    assert error.value.code == 400 and says in error.value.description


def test_a_90_day_window_touches_at_most_four_months() -> None:
    search = parse_search(
        {"jurisdiction_id": ["16.73"], "start_date": ["2025-11-30T18:00:00Z"]}, SERVED, NOW
    )
    # 18:00 UTC on 30 November is already 1 December in WIB; 90 days on is 1 March.
    assert search.months() == ["2025-12", "2026-01", "2026-02", "2026-03"]
    longest = Search("16.73", datetime(2026, 1, 31, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    assert longest.months() == ["2026-01", "2026-02", "2026-03", "2026-04"]


def _doc(i: int, **kw: Any) -> dict[str, Any]:
    at = SUBMITTED + timedelta(minutes=i)
    return {
        "jurisdiction_id": "16.73",
        "service_request_id": f"r{i:05d}",
        "requested_datetime": at.isoformat(),
        "service_code": "pembangunan",
        "status": "closed",
        **kw,
    }


def test_select_filters_sorts_newest_first_and_caps_at_1000() -> None:
    search = Search("16.73", SUBMITTED, SUBMITTED + timedelta(days=90))
    docs = [_doc(i) for i in range(MAX_REQUESTS + 5)]
    docs += [_doc(9000, jurisdiction_id="35.71"), _doc(-10)]  # another kota; before the window
    found = select(docs, search)
    assert len(found) == MAX_REQUESTS
    assert found[0]["service_request_id"] == f"r{MAX_REQUESTS + 4:05d}"
    assert found[-1]["service_request_id"] == "r00005"


def test_select_by_status_and_service_and_ids_overriding_the_rest() -> None:
    docs = [_doc(1), _doc(2, status="open"), _doc(3, service_code="ekonomi")]
    window = (SUBMITTED, SUBMITTED + timedelta(days=1))
    by_status = select(docs, Search("16.73", *window, statuses=frozenset({"open"})))
    assert [d["service_request_id"] for d in by_status] == ["r00002"]
    by_code = select(docs, Search("16.73", *window, service_codes=frozenset({"ekonomi"})))
    assert [d["service_request_id"] for d in by_code] == ["r00003"]
    # Ids override the window and the other filters, never the jurisdiction.
    early = (SUBMITTED + timedelta(days=10), SUBMITTED + timedelta(days=11))
    by_id = select(docs, Search("16.73", *early, service_request_ids=("r00001",)))
    assert [d["service_request_id"] for d in by_id] == ["r00001"]


def test_the_serialisers_write_well_formed_output_whatever_a_value_holds() -> None:
    # Every code point XML 1.0 cannot hold (C0 controls but tab, newline and CR; the
    # surrogates, which also cannot be UTF-8 on their own; U+FFFE, U+FFFF), and neighbours it can.
    cannot = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
    cannot += ["\ud800", "\udbff", "\udc00", "\udfff", "\ufffe", "\uffff"]
    can = "\t\n\r\x7f\x85\ud7ff\ue000\ufffd\U00010000\U0010ffff é"
    text = "".join(cannot) + can
    rows: list[dict[str, Any]] = [{"description": text, "lat": None, "metadata": False}]
    parsed = ET.fromstring(to_xml("service_requests", "request", rows))
    fields = {field.tag: field.text or "" for field in parsed[0]}
    assert fields == {
        "description": "\ufffd" * len(cannot) + can,
        "lat": "",
        "metadata": "false",
    }
    for fmt, media in (("xml", "text/xml"), ("json", "application/json")):
        answer = render(rows, fmt, "service_requests", "request")
        assert answer.media_type is not None and answer.media_type.startswith(media)
        decoded = bytes(answer.body).decode("utf-8")  # strict: no lone surrogate got through
        if fmt == "json":
            # JSON holds every control character (escaped); only the surrogates, which UTF-8
            # cannot carry alone, are replaced.
            kept = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
            assert json.loads(decoded) == [{**rows[0], "description": kept}]
