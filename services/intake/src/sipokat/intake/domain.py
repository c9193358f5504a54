"""Intake's pure rules: what an RT head may submit, and the event a submission becomes."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from sipokat.events.catalogue import ReportContent, ReportSubmitted, WilayahPath


class SubmissionRefused(ValueError):
    """The content breaks a rule of intake; `field` names the part at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_activity_date(activity_date: date, today: date, window_days: int) -> None:
    if activity_date > today:
        raise SubmissionRefused("activity_date", "the activity date lies in the future")
    if activity_date < today - timedelta(days=window_days):
        raise SubmissionRefused(
            "activity_date", f"the activity date is older than {window_days} days"
        )


def submission(
    report_id: UUID,
    content: ReportContent,
    wilayah: WilayahPath,
    today: date,
    window_days: int,
) -> ReportSubmitted:
    check_activity_date(content.activity_date, today, window_days)
    return ReportSubmitted(report_id=report_id, wilayah=wilayah, content=content)
