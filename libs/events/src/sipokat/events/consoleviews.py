"""What the verifiers' console and the leaders' dashboard read: the worklist, a verifier's own
decisions and the map of verified reports (`/v1/verification/queue`,
`/v1/verification/decisions`, `/v1/reports/map`).

Verification answers them; a gateway that documents them takes the shapes from here, as it does
`reportviews`'. Photo links are signed like the report list's (`sipokat.runtime.media`).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from sipokat.events.catalogue import (
    Bidang,
    FundProgress,
    GeoPoint,
    RejectionReason,
    ReportKind,
    Tier,
    WilayahPath,
)
from sipokat.events.reportviews import LastDecision, PhotoLink, ReportStatusName


class WorklistItem(BaseModel):
    """A report waiting for the caller's tier, with all a verifier decides on: no second
    request is needed to show it."""

    report_id: str
    tier: Tier
    kind: ReportKind
    bidang: Bidang
    title: str
    description: str
    activity_date: date
    location: GeoPoint | None
    fund: FundProgress | None
    photos: list[PhotoLink]
    rt_code: str
    rt_name: str = Field(description="`RT 007`: an RT has a number, not a name")
    kelurahan_name: str
    wilayah: WilayahPath
    submitted_at: str = Field(description="when the report was first submitted")
    waiting_since: str = Field(description="when it reached this tier")
    due_at: str = Field(description="the end of this tier's working days (UTC; show it in WIB)")
    overdue: bool
    round: int = Field(description="1 as first submitted, 2 after the first revision, ...")
    revision: int = Field(description="round - 1")
    version: int = Field(description="send as `expected_version` with the decision")
    last_decision: LastDecision | None = Field(
        description="the lower tier's approval in this round (its note), else null"
    )
    counts_for_performance: bool | None = Field(description="what a lower tier said, if anything")


class WorklistCounts(BaseModel):
    total: int = Field(description="every report waiting for this tier in the caller's area")
    overdue: int = Field(description="of those, the overdue ones")
    matching: int = Field(description="those the filters select")
    matching_overdue: int = Field(description="of those, the overdue ones")


class Worklist(BaseModel):
    tier: Tier
    wilayah: str
    items: list[WorklistItem]
    counts: WorklistCounts
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class DecisionItem(BaseModel):
    """One decision the caller took, with the report as it stands now."""

    decision_id: str = Field(description="the event that recorded it")
    report_id: str
    decision: Literal["approve", "reject"]
    tier: Tier
    reason_code: RejectionReason | None
    note: str | None
    counts_for_performance: bool | None
    decided_at: str
    round: int
    title: str
    kind: ReportKind
    bidang: Bidang
    rt_code: str
    kelurahan_name: str
    status: ReportStatusName = Field(description="the report's status now")


class DecisionPage(BaseModel):
    items: list[DecisionItem]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")
    complete: bool = Field(
        default=True, description="false when cut at the scan bound: narrow the period"
    )


class PointGeometry(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[longitude, latitude] (RFC 7946)")


class ReportFeatureProperties(BaseModel):
    report_id: str
    title: str
    kind: ReportKind
    bidang: Bidang
    rt_code: str
    kelurahan_code: str
    kelurahan_name: str
    activity_date: date
    submitted_at: str


class ReportFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PointGeometry
    properties: ReportFeatureProperties


class ReportMap(BaseModel):
    """A GeoJSON FeatureCollection (RFC 7946) with two foreign members: `limit`, the most
    features an answer holds, and `truncated`, whether more matched."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ReportFeature]
    limit: int
    truncated: bool
