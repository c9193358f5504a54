"""What a client reads about a report: the shapes of `GET /v1/reports` and `GET /v1/reports/{id}`.

Verification answers them; the gateway documents them in its own OpenAPI document, so both
take them from here. A photo's `url` is a signed link an `<img>` loads without a token
(`sipokat.runtime.media`), handed only to whoever may see the report.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sipokat.events.catalogue import (
    Bidang,
    FundProgress,
    GeoPoint,
    RejectionReason,
    ReportContent,
    ReportKind,
    Tier,
    WilayahPath,
)

# The report's standing, as the status API names it (verification's ReportStatus).
ReportStatusName = Literal[
    "awaiting_kelurahan", "awaiting_kecamatan", "awaiting_kota", "awaiting_revision", "verified"
]


class PhotoLink(BaseModel):
    sha256: str
    url: str = Field(description="/v1/attachments/{sha256}?exp=&sig=: no token needed, ~1 hour")


class LastDecision(BaseModel):
    """The latest decision since the report was last submitted or revised."""

    decision: Literal["approve", "reject"]
    reason_code: RejectionReason | None
    note: str | None
    tier: Tier
    decided_at: str


class ReportSummary(BaseModel):
    report_id: str
    kind: ReportKind
    bidang: Bidang
    title: str
    activity_date: date
    submitted_at: str = Field(description="when the report was first submitted")
    status: ReportStatusName
    waiting_for: Literal["lurah", "camat", "pemkot"] | None
    last_decision: LastDecision | None
    counts_for_performance: bool | None
    revision: int = Field(description="0 as first submitted, then 1, 2, ... per revision")
    photos: list[PhotoLink]
    wilayah: WilayahPath = Field(description="the report's RT with its areas' codes and names")


class ReportPage(BaseModel):
    items: list[ReportSummary]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")
    complete: bool = Field(
        default=True,
        description="false when the list was cut at the scan bound (docs/verification.md): "
        "narrow the filters (a period, an area) to see the rest",
    )


class ReportDetail(ReportSummary):
    """A report's status and timeline with its content; more fields may be added."""

    model_config = ConfigDict(extra="allow")

    description: str
    location: GeoPoint | None
    fund: FundProgress | None
    content: ReportContent
    tier: Tier | None
    round: int
    version: int
    due_at: str | None
    overdue: bool
    submitted_by: str
    timeline: list[dict[str, object]]
