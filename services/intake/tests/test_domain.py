from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from sipokat.events.testing import make_content, wilayah_path
from sipokat.intake.domain import SubmissionRefused, check_activity_date, submission

TODAY = date(2026, 11, 22)


def test_an_activity_of_today_or_within_the_window_is_accepted() -> None:
    check_activity_date(TODAY, TODAY, window_days=90)
    check_activity_date(TODAY - timedelta(days=90), TODAY, window_days=90)


def test_an_activity_in_the_future_is_refused() -> None:
    with pytest.raises(SubmissionRefused, match="future") as refused:
        check_activity_date(TODAY + timedelta(days=1), TODAY, window_days=90)
    assert refused.value.field == "activity_date"


def test_an_activity_older_than_the_window_is_refused() -> None:
    with pytest.raises(SubmissionRefused, match="older than 30 days"):
        check_activity_date(TODAY - timedelta(days=31), TODAY, window_days=30)


def test_a_submission_carries_the_report_and_the_rt_path() -> None:
    report_id = uuid4()
    content = make_content()
    event = submission(report_id, content, wilayah_path(), content.activity_date, window_days=90)
    assert event.report_id == report_id
    assert event.content == content
    assert event.stream_id() == f"report-{report_id}"
    assert event.routing_key() == "report.submitted"
