"""The event catalogue of DESIGN §3: every payload, its type name and its routing key.

Routing keys are public contracts: integrators bind their queues to them. Two kinds of stream:
a report's (`report.*`, by intake and verification) and an account's posts (`post.*`, by
identity).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from sipokat.events.bounds import (
    AreaCode,
    AreaName,
    Description,
    KecamatanCode,
    KelurahanCode,
    KotaCode,
    Note,
    OptionalNote,
    PersonName,
    Programme,
    RTCode,
    Rupiah,
    Subject,
    Title,
)
from sipokat.events.envelope import Role
from sipokat.events.payloads import EventData, register

# ---------------------------------------------------------------- vocabulary


class ReportKind(StrEnum):
    KEGIATAN = "kegiatan"  # an activity the RT carried out
    USULAN = "usulan"  # a proposal, e.g. a road repair
    PROGRES_DANA = "progres_dana"  # progress of a community-funded project (PRODAMAS)


class Bidang(StrEnum):
    PEMERINTAHAN = "pemerintahan"
    KESEHATAN_LINGKUNGAN = "kesehatan_lingkungan"
    KEAMANAN_KETERTIBAN = "keamanan_ketertiban"
    SOSIAL_KEMASYARAKATAN = "sosial_kemasyarakatan"
    KEAGAMAAN = "keagamaan"
    PEMBANGUNAN = "pembangunan"
    EKONOMI = "ekonomi"


class BidangDana(StrEnum):
    """The PRODAMAS guideline split: 60% infrastructure, 20% social, 20% economic."""

    INFRASTRUKTUR = "infrastruktur"
    SOSIAL = "sosial"
    EKONOMI = "ekonomi"


class Tier(StrEnum):
    KELURAHAN = "kelurahan"  # the lurah
    KECAMATAN = "kecamatan"  # the camat
    KOTA = "kota"  # the city's Bagian Pemerintahan


class RejectionReason(StrEnum):
    INCOMPLETE = "incomplete"
    NOT_RT_WORK = "not_rt_work"
    DUPLICATE = "duplicate"
    NO_EVIDENCE = "no_evidence"
    WRONG_FIELD = "wrong_field"
    OTHER = "other"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WilayahPath(_Part):
    """The full path of an RT, so no reader has to call back to the directory."""

    kota_code: KotaCode = Field(examples=["16.73"])
    kota_name: AreaName
    kecamatan_code: KecamatanCode = Field(examples=["16.73.02"])
    kecamatan_name: AreaName
    kelurahan_code: KelurahanCode = Field(examples=["16.73.02.1019"])
    kelurahan_name: AreaName
    rt_code: RTCode = Field(examples=["16.73.02.1019/007"])


class GeoPoint(_Part):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class PhotoRef(_Part):
    """A stored, EXIF-free photo, addressed by the sha256 of its bytes."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    content_type: Literal["image/jpeg", "image/png", "image/webp"]


class FundProgress(_Part):
    programme: Programme = Field(examples=["Prodamas 2026"])
    amount_rupiah: Rupiah
    progress_percent: Literal[0, 50, 100]
    bidang_dana: BidangDana


class ReportContent(_Part):
    """What an RT head reports; the part a revision replaces."""

    kind: ReportKind
    bidang: Bidang
    title: Title
    description: Description
    activity_date: date
    location: GeoPoint | None = None
    photos: Annotated[list[PhotoRef], Field(max_length=10)] = []
    fund: FundProgress | None = None

    @model_validator(mode="after")
    def _fund_only_for_fund_progress(self) -> Self:
        if self.kind is ReportKind.PROGRES_DANA and self.fund is None:
            raise ValueError("a progres_dana report needs `fund`")
        if self.kind is not ReportKind.PROGRES_DANA and self.fund is not None:
            raise ValueError("`fund` belongs only to progres_dana reports")
        return self


class Verifier(_Part):
    subject: Subject
    name: PersonName | None = None


# ---------------------------------------------------------------- events


class ReportEvent(EventData):
    """Every report event names its report and carries the RT's wilayah path, so consumers can
    route and aggregate any event on its own, whatever order they see events of a report in.
    Every report event of the catalogue is one: readers test `isinstance(data, ReportEvent)`
    (a post event is not)."""

    report_id: UUID
    wilayah: WilayahPath

    def stream_id(self) -> str:
        return f"report-{self.report_id}"


class ReportSubmitted(ReportEvent):
    event_type = "ReportSubmitted"

    content: ReportContent

    def routing_key(self) -> str:
        return "report.submitted"


class ReportRevised(ReportEvent):
    """New content after a rejection; the report goes back to the first tier."""

    event_type = "ReportRevised"

    revision: int = Field(ge=1, description="1 for the first revision, then 2, ...")
    content: ReportContent

    def routing_key(self) -> str:
        return "report.revised"


class ReportApproved(ReportEvent):
    event_type = "ReportApproved"

    tier: Tier
    verifier: Verifier
    note: OptionalNote | None = None
    counts_for_performance: bool | None = None
    decided_at: AwareDatetime
    next_tier: Tier | None = Field(description="None when this was the last tier")
    next_due_at: AwareDatetime | None = None

    def routing_key(self) -> str:
        return f"report.approved.{self.tier}"


class ReportRejected(ReportEvent):
    event_type = "ReportRejected"

    tier: Tier
    verifier: Verifier
    reason_code: RejectionReason
    note: Note
    decided_at: AwareDatetime

    def routing_key(self) -> str:
        return f"report.rejected.{self.tier}"


class ReportVerified(ReportEvent):
    """The final tier passed: the report now counts."""

    event_type = "ReportVerified"

    final_tier: Tier
    counts_for_performance: bool
    verified_at: AwareDatetime
    content: ReportContent = Field(description="The content as verified, for public views")

    def routing_key(self) -> str:
        return "report.verified"


class VerificationOverdue(ReportEvent):
    event_type = "VerificationOverdue"

    tier: Tier
    due_at: AwareDatetime
    detected_at: AwareDatetime

    def routing_key(self) -> str:
        return f"report.overdue.{self.tier}"


# ---------------------------------------------------------------- posts (identity)

# The roles a person holds a post in; `system` is no one's post.
POST_ROLES = tuple(role for role in Role if role is not Role.SYSTEM)


class PostEvent(EventData):
    """A post changing hands: which wilayah gained or lost a holder, in which role, and the
    holder's account id (the `sub` of their tokens), with when. Never a name, phone number or
    email (issue 22, §5): who the person is stays in identity's own store. Every event of an
    account's posts is one: readers test `isinstance(data, PostEvent)`."""

    account_id: UUID = Field(description="The holder's account (the `sub` of their tokens)")
    role: Role = Field(description="The post's role (never `system`)")
    wilayah: AreaCode | None = Field(
        default=None,
        examples=["16.73.02.1019/007"],
        description="The post's area, of the role's level; none for admin and integrator",
    )
    started_at: AwareDatetime

    @model_validator(mode="after")
    def _a_post_role(self) -> Self:
        if self.role is Role.SYSTEM:
            raise ValueError("`system` holds no post")
        return self

    def stream_id(self) -> str:
        return f"account-{self.account_id}"


class PostStarted(PostEvent):
    """An account took up a post (created with it, or given a new one)."""

    event_type = "PostStarted"

    def routing_key(self) -> str:
        return f"post.started.{self.role}"


class PostEnded(PostEvent):
    """The holder left the post: from `ended_at` on, no token issued before it is accepted."""

    event_type = "PostEnded"

    ended_at: AwareDatetime

    def routing_key(self) -> str:
        return f"post.ended.{self.role}"


register(
    ReportSubmitted,
    ReportRevised,
    ReportApproved,
    ReportRejected,
    ReportVerified,
    VerificationOverdue,
    PostStarted,
    PostEnded,
)

# Routing-key patterns per event type, as integrators bind them (AMQP topic syntax).
ROUTING_KEYS: dict[str, list[str]] = {
    "ReportSubmitted": ["report.submitted"],
    "ReportRevised": ["report.revised"],
    "ReportApproved": [f"report.approved.{t}" for t in Tier],
    "ReportRejected": [f"report.rejected.{t}" for t in Tier],
    "ReportVerified": ["report.verified"],
    "VerificationOverdue": [f"report.overdue.{t}" for t in Tier],
    "PostStarted": [f"post.started.{r}" for r in POST_ROLES],
    "PostEnded": [f"post.ended.{r}" for r in POST_ROLES],
}
