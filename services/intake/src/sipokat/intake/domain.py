"""Intake's pure rules: what an RT head may submit or revise, in English and Indonesian words, and
the report's state as intake knows it from the report's own stream. No I/O, no settings here: the
city bounds and the activity window come in with `Rules`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from sipokat.events.catalogue import (
    ReportApproved,
    ReportContent,
    ReportRejected,
    ReportRevised,
    ReportSubmitted,
    ReportVerified,
    Tier,
    VerificationOverdue,
    WilayahPath,
)
from sipokat.events.envelope import EventData

# What each rule tells the RT head when it is broken, by code: (English, Indonesian), formatted
# with the rule's params. The words are part of the rule: a new rule comes with its own.
RULES: dict[str, tuple[str, str]] = {
    "date_in_future": (
        "the activity date lies in the future",
        "tanggal kegiatan tidak boleh di masa depan",
    ),
    "date_too_old": (
        "the activity date is older than {window_days} days",
        "tanggal kegiatan lebih lama dari {window_days} hari",
    ),
    "location_outside_city": (
        "the location lies outside {city}",
        "lokasi berada di luar {city}",
    ),
    "photo_unknown": (
        "no photo {sha256} was uploaded by RT {rt}; upload it to /v1/attachments first",
        "foto {sha256} belum diunggah oleh RT {rt}; unggah dulu ke /v1/attachments",
    ),
    "photo_type_mismatch": (
        "photo {sha256} is stored as {stored}, not {given}",
        "foto {sha256} tersimpan sebagai {stored}, bukan {given}",
    ),
    "rt_unknown": (
        "the token's RT is not in the directory: {reason}",
        "RT pada token tidak ada di direktori wilayah: {reason}",
    ),
}


# The activity-date rules above as one sentence, shown before the RT head picks a date
# (`GET /v1/config`), with the same window.
ACTIVITY_DATE_RULE: tuple[str, str] = (
    "the activity date may not lie in the future nor be older than {window_days} days",
    "tanggal kegiatan tidak boleh di masa depan dan tidak boleh lebih lama dari {window_days} hari",
)


@dataclass(frozen=True)
class FieldError:
    """One broken rule: where in the request (`activity_date`, `photos/0/sha256`) and why."""

    field: str
    code: str
    params: Mapping[str, Any] = default(default_factory=dict)

    def message(self, language: str = "en") -> str:
        """The rule's words in `language` ("en" or "id")."""
        english, indonesian = RULES[self.code]
        return (indonesian if language == "id" else english).format(**self.params)


class SubmissionRefused(ValueError):
    """The content breaks rules of intake; every broken rule is listed, not only the first."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message()}" for e in errors))
        self.errors = errors


class NotAwaitingRevision(Exception):
    """Only a report whose last decision was a rejection takes a revision. `status` is named
    as the status API (verification's GET /v1/reports/{id}) names it."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the report is {status}, not awaiting_revision")
        self.status = status


# ---------------------------------------------------------------- content rules


class Bounds(BaseModel):
    """A city's bounding box: a report's location must lie inside its RT's city."""

    south: float = Field(ge=-90, le=90)
    north: float = Field(ge=-90, le=90)
    west: float = Field(ge=-180, le=180)
    east: float = Field(ge=-180, le=180)

    def contains(self, latitude: float, longitude: float) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east


@dataclass(frozen=True)
class CleanPhoto:
    """A photo as intake keeps it: re-encoded without metadata, addressed by its sha256."""

    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Rules:
    """What content is judged against, beyond its own schema."""

    today: date  # in WIB
    window_days: int
    city_bounds: Mapping[str, Bounds]
    # sha256 → content type of the photos this RT uploaded.
    photos_of_rt: Mapping[str, str]


def content_errors(content: ReportContent, wilayah: WilayahPath, rules: Rules) -> list[FieldError]:
    errors: list[FieldError] = []
    if content.activity_date > rules.today:
        errors.append(FieldError("activity_date", "date_in_future"))
    elif content.activity_date < rules.today - timedelta(days=rules.window_days):
        errors.append(
            FieldError("activity_date", "date_too_old", {"window_days": rules.window_days})
        )
    bounds = rules.city_bounds.get(wilayah.kota_code)
    location = content.location
    if location and bounds and not bounds.contains(location.latitude, location.longitude):
        errors.append(FieldError("location", "location_outside_city", {"city": wilayah.kota_name}))
    for index, photo in enumerate(content.photos):
        stored = rules.photos_of_rt.get(photo.sha256)
        where = f"photos/{index}"
        if stored is None:
            params = {"sha256": photo.sha256, "rt": wilayah.rt_code}
            errors.append(FieldError(f"{where}/sha256", "photo_unknown", params))
        elif stored != photo.content_type:
            params = {"sha256": photo.sha256, "stored": stored, "given": photo.content_type}
            errors.append(FieldError(f"{where}/content_type", "photo_type_mismatch", params))
    return errors


def check_content(content: ReportContent, wilayah: WilayahPath, rules: Rules) -> None:
    errors = content_errors(content, wilayah, rules)
    if errors:
        raise SubmissionRefused(errors)


def submission(
    report_id: UUID, content: ReportContent, wilayah: WilayahPath, rules: Rules
) -> ReportSubmitted:
    check_content(content, wilayah, rules)
    return ReportSubmitted(report_id=report_id, wilayah=wilayah, content=content)


# ---------------------------------------------------------------- the report's state


class ReportStatus(StrEnum):
    AWAITING_VERIFICATION = "awaiting_verification"
    REJECTED = "rejected"  # awaiting the RT's revision
    VERIFIED = "verified"


class ReportState(BaseModel):
    """What intake needs to know of a report: whose it is, where it stands, what it shows."""

    model_config = ConfigDict(frozen=True)

    report_id: UUID
    wilayah: WilayahPath
    status: ReportStatus
    awaiting_tier: Tier | None
    revision: int
    version: int
    photos: list[str]


def status_shown(state: ReportState) -> str:
    """The state's name in the status API (`awaiting_kelurahan`, `awaiting_revision`, ...)."""
    if state.status is ReportStatus.REJECTED:
        return "awaiting_revision"
    if state.status is ReportStatus.VERIFIED or state.awaiting_tier is None:
        return "verified"
    return f"awaiting_{state.awaiting_tier}"


def evolve(state: ReportState | None, event: EventData, version: int) -> ReportState | None:
    """The state after one event of the report's stream (`version` is its stream_version)."""
    if isinstance(event, ReportSubmitted):
        return ReportState(
            report_id=event.report_id,
            wilayah=event.wilayah,
            status=ReportStatus.AWAITING_VERIFICATION,
            awaiting_tier=Tier.KELURAHAN,
            revision=0,
            version=version,
            photos=[p.sha256 for p in event.content.photos],
        )
    if state is None:
        return None  # a decision on a report intake never accepted: nothing to know
    changes: dict[str, Any] = {"version": version}
    if isinstance(event, ReportRevised):
        changes |= {
            "status": ReportStatus.AWAITING_VERIFICATION,
            "awaiting_tier": Tier.KELURAHAN,
            "revision": event.revision,
            "photos": sorted({*state.photos, *(p.sha256 for p in event.content.photos)}),
        }
    elif isinstance(event, ReportRejected):
        changes |= {"status": ReportStatus.REJECTED, "awaiting_tier": None}
    elif isinstance(event, ReportApproved):
        changes |= {"awaiting_tier": event.next_tier}
    elif isinstance(event, ReportVerified):
        changes |= {"status": ReportStatus.VERIFIED, "awaiting_tier": None}
    elif not isinstance(event, VerificationOverdue):
        raise TypeError(f"not a report event: {type(event).__name__}")
    return state.model_copy(update=changes)


def fold(events: Iterable[tuple[EventData, int]]) -> ReportState | None:
    state: ReportState | None = None
    for event, version in events:
        state = evolve(state, event, version)
    return state


def revision(state: ReportState, content: ReportContent, rules: Rules) -> tuple[ReportRevised, int]:
    """The ReportRevised for a rejected report, and the stream version to append it at."""
    if state.status is not ReportStatus.REJECTED:
        raise NotAwaitingRevision(status_shown(state))
    check_content(content, state.wilayah, rules)
    event = ReportRevised(
        report_id=state.report_id,
        wilayah=state.wilayah,
        revision=state.revision + 1,
        content=content,
    )
    return event, state.version + 1
