"""Intake's pure rules: content checks, the report's state folded from its stream, revisions."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from sipokat.events.catalogue import GeoPoint, PhotoRef, ReportKind, ReportRevised, Tier
from sipokat.events.envelope import Envelope
from sipokat.events.testing import (
    make_approved,
    make_content,
    make_overdue,
    make_rejected,
    make_revised,
    make_submitted,
    make_verified,
    wilayah_path,
)
from sipokat.intake.domain import (
    NotAwaitingRevision,
    ReportState,
    ReportStatus,
    Rules,
    SubmissionRefused,
    content_errors,
    fold,
    revision,
    submission,
)
from sipokat.intake.settings import DEFAULT_CITY_BOUNDS

TODAY = date(2026, 11, 22)
PHOTO = PhotoRef(sha256="ab" * 32, content_type="image/jpeg")


def rules(**changes: object) -> Rules:
    fields: dict[str, object] = {
        "today": TODAY,
        "window_days": 90,
        "city_bounds": DEFAULT_CITY_BOUNDS,
        "photos_of_rt": {PHOTO.sha256: PHOTO.content_type},
    }
    return Rules(**{**fields, **changes})  # type: ignore[arg-type]


def codes(**content: object) -> list[tuple[str, str]]:
    errors = content_errors(make_content(**content), wilayah_path(), rules())
    return [(e.field, e.code) for e in errors]


def test_an_activity_of_today_or_at_the_edge_of_the_window_passes() -> None:
    assert codes(activity_date=TODAY, photos=[PHOTO]) == []
    assert codes(activity_date=TODAY - timedelta(days=90), photos=[PHOTO]) == []


def test_an_activity_in_the_future_or_older_than_the_window_is_refused() -> None:
    assert codes(activity_date=TODAY + timedelta(days=1)) == [("activity_date", "date_in_future")]
    assert codes(activity_date=TODAY - timedelta(days=91)) == [("activity_date", "date_too_old")]


def test_a_location_outside_the_rts_city_is_refused() -> None:
    in_lubuklinggau = GeoPoint(latitude=-3.2945, longitude=102.8614)
    in_kediri = GeoPoint(latitude=-7.8166, longitude=112.0114)
    assert codes(activity_date=TODAY, location=in_lubuklinggau) == []
    assert codes(activity_date=TODAY, location=in_kediri) == [("location", "location_outside_city")]


def test_fund_progress_is_only_for_rts_of_a_city_running_a_fund_programme() -> None:
    fund = make_content(ReportKind.PROGRES_DANA, activity_date=TODAY)
    lubuklinggau = wilayah_path()  # runs no fund programme
    assert [
        (e.field, e.code, e.message("id"))
        for e in content_errors(fund, lubuklinggau, rules(fund_cities=frozenset({"35.71"})))
    ] == [
        (
            "kind",
            "no_fund_programme",
            "Kota Lubuk Linggau tidak menjalankan program dana: laporan progres_dana hanya "
            "untuk kota yang menjalankannya",
        )
    ]
    assert content_errors(fund, lubuklinggau, rules(fund_cities=frozenset({"16.73"}))) == []
    kegiatan = make_content(activity_date=TODAY)
    assert content_errors(kegiatan, lubuklinggau, rules()) == []


def test_every_photo_must_be_one_this_rt_uploaded_with_its_stored_type() -> None:
    stranger = PhotoRef(sha256="cd" * 32, content_type="image/png")
    mistyped = PhotoRef(sha256=PHOTO.sha256, content_type="image/png")
    assert codes(activity_date=TODAY, photos=[PHOTO, stranger, mistyped]) == [
        ("photos/1/sha256", "photo_unknown"),
        ("photos/2/content_type", "photo_type_mismatch"),
    ]


def test_a_submission_lists_every_broken_rule_at_once() -> None:
    content = make_content(
        activity_date=TODAY + timedelta(days=3),
        location=GeoPoint(latitude=0, longitude=0),
        photos=[],
    )
    with pytest.raises(SubmissionRefused) as refused:
        submission(uuid4(), content, wilayah_path(), rules())
    assert [e.field for e in refused.value.errors] == ["activity_date", "location"]
    assert "activity date lies in the future" in str(refused.value)
    assert refused.value.errors[1].message("id") == "lokasi berada di luar Kota Lubuk Linggau"


def state_of(events: list[Envelope]) -> ReportState | None:
    return fold((e.data, e.stream_version) for e in events)


def test_the_state_follows_the_stream_tier_by_tier() -> None:
    rid = uuid4()
    events = [make_submitted(rid, content=make_content(photos=[PHOTO]))]
    state = state_of(events)
    assert state is not None
    assert (state.status, state.awaiting_tier, state.version) == (
        ReportStatus.AWAITING_VERIFICATION,
        Tier.KELURAHAN,
        1,
    )
    assert state.photos == [PHOTO.sha256]
    events += [
        make_overdue(rid, stream_version=2),
        make_approved(rid, stream_version=3, tier=Tier.KELURAHAN),
        make_approved(rid, stream_version=4, tier=Tier.KECAMATAN),
    ]
    state = state_of(events)
    assert state is not None
    assert (state.awaiting_tier, state.version) == (Tier.KOTA, 4)
    events += [
        make_approved(rid, stream_version=5, tier=Tier.KOTA),
        make_verified(rid, stream_version=6),
    ]
    state = state_of(events)
    assert state is not None
    assert (state.status, state.awaiting_tier) == (ReportStatus.VERIFIED, None)


def test_a_rejection_awaits_the_revision_which_goes_back_to_the_lurah() -> None:
    rid = uuid4()
    events = [make_submitted(rid), make_rejected(rid, stream_version=2, tier=Tier.KECAMATAN)]
    state = state_of(events)
    assert state is not None
    assert state.status is ReportStatus.REJECTED
    state = state_of([*events, make_revised(rid, stream_version=3, revision=1)])
    assert state is not None
    assert (state.status, state.awaiting_tier, state.revision) == (
        ReportStatus.AWAITING_VERIFICATION,
        Tier.KELURAHAN,
        1,
    )


def test_decisions_on_a_report_never_submitted_give_no_state() -> None:
    assert state_of([make_rejected(uuid4(), stream_version=2)]) is None


def test_a_revision_of_a_rejected_report_comes_at_the_next_version() -> None:
    rid = uuid4()
    state = state_of([make_submitted(rid), make_rejected(rid, stream_version=2)])
    assert state is not None
    content = make_content(activity_date=TODAY, photos=[PHOTO], title="Foto diperbaiki")
    event, version = revision(state, content, rules())
    assert isinstance(event, ReportRevised)
    assert (event.revision, version, event.content.title) == (1, 3, "Foto diperbaiki")
    assert event.wilayah == state.wilayah


@pytest.mark.parametrize("decided", ["approved", "verified", "none"])
def test_a_report_that_is_not_rejected_takes_no_revision(decided: str) -> None:
    rid = uuid4()
    events = [make_submitted(rid)]
    if decided == "approved":
        events.append(make_approved(rid, stream_version=2))
    elif decided == "verified":
        events.append(make_verified(rid, stream_version=2))
    state = state_of(events)
    assert state is not None
    with pytest.raises(NotAwaitingRevision):
        revision(state, make_content(activity_date=TODAY, photos=[PHOTO]), rules())


def test_a_revision_is_checked_like_a_submission() -> None:
    rid = uuid4()
    state = state_of([make_submitted(rid), make_rejected(rid, stream_version=2)])
    assert state is not None
    with pytest.raises(SubmissionRefused):
        revision(state, make_content(activity_date=TODAY + timedelta(days=1)), rules())
