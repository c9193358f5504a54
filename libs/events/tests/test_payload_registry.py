"""The registry of payload classes the envelope parses through, and the report events' base.
No I/O."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar
from uuid import uuid4

import pytest

from sipokat.events import (
    EVENT_TYPES,
    Actor,
    Envelope,
    EventData,
    PostEvent,
    ReportEvent,
    ReportSubmitted,
    Role,
    UnknownEventType,
    payloads,
)
from sipokat.events.testing import sample_events, sample_post_events


class Pengumuman(EventData):
    """A payload of a service not in the catalogue (say accounts), registered on its own."""

    event_type: ClassVar[str] = "PengumumanDibuat"

    announcement_id: str

    def stream_id(self) -> str:
        return f"announcement-{self.announcement_id}"

    def routing_key(self) -> str:
        return "announcement.created"


def _pengumuman() -> Envelope:
    return Envelope.wrap(
        Pengumuman(announcement_id=uuid4().hex),
        stream_version=1,
        source="accounts",
        actor=Actor(subject="admin:1", role=Role.ADMIN),
        correlation_id="req-1",
    )


def test_every_catalogue_event_is_a_report_event_or_a_post_event() -> None:
    # What lets a reader take `report_id` and `wilayah` from any report event (or `account_id`
    # from any post event) without re-listing the catalogue or a `type: ignore`.
    assert EVENT_TYPES
    for cls in EVENT_TYPES.values():
        assert issubclass(cls, ReportEvent) != issubclass(cls, PostEvent)
    for envelope in sample_post_events():
        post = envelope.data
        assert isinstance(post, PostEvent)
        assert post.stream_id() == f"account-{post.account_id}" == envelope.stream_id
    for envelope in sample_events():
        data = envelope.data
        assert isinstance(data, ReportEvent)
        assert data.stream_id() == f"report-{data.report_id}" == envelope.stream_id


@pytest.fixture
def registry() -> Iterator[None]:
    """The registry as the catalogue left it, back after the test."""
    saved = dict(EVENT_TYPES)
    yield
    EVENT_TYPES.clear()
    EVENT_TYPES.update(saved)


@pytest.mark.usefixtures("registry")
def test_a_payload_registered_later_parses() -> None:
    with pytest.raises(ValueError, match="not in the catalogue"):
        _pengumuman()
    payloads.register(Pengumuman)

    envelope = _pengumuman()
    parsed = Envelope.from_json(envelope.to_json())

    assert parsed == envelope
    assert type(parsed.data) is Pengumuman


@pytest.mark.usefixtures("registry")
def test_a_type_name_is_registered_once() -> None:
    class Impostor(ReportSubmitted):
        pass

    payloads.register(ReportSubmitted)  # the same class again changes nothing
    with pytest.raises(ValueError, match="already ReportSubmitted"):
        payloads.register(Impostor)
    assert EVENT_TYPES["ReportSubmitted"] is ReportSubmitted


def test_an_unregistered_type_is_unknown() -> None:
    body = sample_events()[0].model_dump(mode="json") | {"type": "PengumumanDibuat"}
    with pytest.raises(UnknownEventType):
        payloads.resolve_payload(body)
