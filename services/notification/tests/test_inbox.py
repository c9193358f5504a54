"""Who hears what, and one inbox item per (event, recipient, channel) on every backend."""

from __future__ import annotations

from uuid import uuid4

from sipokat.events.projection import projection_handler
from sipokat.events.store import Database
from sipokat.events.testing import make_approved, make_revised, make_submitted
from sipokat.notification import views
from sipokat.notification.domain import recipients


def test_a_new_or_revised_report_goes_to_the_lurah_of_its_kelurahan() -> None:
    report_id = uuid4()
    assert recipients(make_submitted(report_id=report_id).data) == ["lurah:16.73.02.1019"]
    revised = make_revised(report_id, stream_version=2)
    assert recipients(revised.data) == ["lurah:16.73.02.1019"]


def test_events_without_a_rule_yet_notify_nobody() -> None:
    assert recipients(make_approved(uuid4(), stream_version=2).data) == []


async def test_redeliveries_and_a_rebuild_leave_one_inbox_item(database: Database) -> None:
    handle = projection_handler(database.views, views.project)
    submitted = make_submitted()
    await handle(submitted)
    await handle(submitted)
    await database.views.reset()  # a rebuild: views dropped, the log replayed
    await handle(submitted)
    await handle(submitted)
    items = await database.views.find(views.INBOX, {"recipient": "lurah:16.73.02.1019"})
    assert len(items) == 1
    assert items[0]["report_id"] == str(submitted.data.report_id)  # type: ignore[attr-defined]
    assert "menunggu verifikasi" in items[0]["message"]
