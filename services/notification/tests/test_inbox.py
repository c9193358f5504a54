"""The inbox over HTTP: only the owner's items, newest first in pages, read marks that survive a
rebuild, and one item per (event, recipient) whatever is redelivered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import pytest
from notification_support import Service

from sipokat.events.catalogue import Tier
from sipokat.events.testing import make_approved, make_rejected, make_submitted
from sipokat.notification.domain import digest_day
from sipokat.notification.handlers import notifier
from sipokat.runtime.testing import bearer

LURAH = bearer("lurah", "16.73.02.1019")
OTHER_LURAH = bearer("lurah", "16.73.01.1001")
CAMAT = bearer("camat", "16.73.02")
RT_HEAD = bearer("ketua_rt", "16.73.02.1019/007")


async def inbox(service: Service, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = await service.client.get("/v1/notifications/inbox", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_each_office_sees_only_its_own_items(service: Service) -> None:
    handle = notifier(service.context).handle
    rid = uuid4()
    submitted = make_submitted(rid)
    for _ in range(3):  # duplicates from the broker
        await handle(submitted)
    await handle(make_approved(rid, stream_version=2, tier=Tier.KELURAHAN))
    await handle(make_rejected(rid, stream_version=3, tier=Tier.KECAMATAN))

    lurah = await inbox(service, LURAH)
    assert (lurah["recipient"], lurah["unread"], lurah["total"]) == ("lurah:16.73.02.1019", 1, 1)
    assert lurah["items"][0]["report_id"] == str(rid)
    assert lurah["items"][0]["kind"] == "awaiting_verification"
    camat = await inbox(service, CAMAT)
    assert [i["event_type"] for i in camat["items"]] == ["ReportApproved"]
    rt = await inbox(service, RT_HEAD)
    assert [i["kind"] for i in rt["items"]] == ["rejected"]
    assert (await inbox(service, OTHER_LURAH))["items"] == []
    unauthenticated = await service.client.get("/v1/notifications/inbox")
    assert unauthenticated.status_code == 401


async def test_a_backlog_in_one_batch_gives_each_office_its_items_once(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    pushed: list[str] = []
    monkeypatch.setattr(
        service.context.hub, "publish", lambda recipient, item: pushed.append(recipient)
    )
    rid = uuid4()
    submitted = make_submitted(rid)
    approved = make_approved(rid, stream_version=2, tier=Tier.KELURAHAN)
    rejected = make_rejected(rid, stream_version=3, tier=Tier.KECAMATAN)
    handle_many = notifier(service.context).handle_many
    await handle_many([submitted, submitted, approved, rejected, submitted])

    lurah = await inbox(service, LURAH)
    assert (lurah["unread"], lurah["total"]) == (1, 1)
    assert [i["event_type"] for i in (await inbox(service, CAMAT))["items"]] == ["ReportApproved"]
    assert [i["kind"] for i in (await inbox(service, RT_HEAD))["items"]] == ["rejected"]
    assert sorted(pushed) == sorted(
        ["lurah:16.73.02.1019", "camat:16.73.02", "ketua_rt:16.73.02.1019/007"]
    )
    # the same batch redelivered: nothing new stored or pushed
    await handle_many([submitted, approved, rejected])
    assert (await inbox(service, LURAH))["total"] == 1
    assert len(pushed) == 3


async def test_pages_mark_read_and_a_rebuild_keeps_what_was_read(service: Service) -> None:
    handle = notifier(service.context).handle
    events = [make_submitted() for _ in range(5)]
    for event in events:
        await handle(event)

    first = await inbox(service, LURAH, limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = await inbox(service, LURAH, limit=2, cursor=first["next_cursor"])
    third = await inbox(service, LURAH, limit=2, cursor=second["next_cursor"])
    assert third["next_cursor"] is None
    pages = [i["event_id"] for page in (first, second, third) for i in page["items"]]
    assert pages == [str(e.event_id) for e in reversed(events)]

    newest = first["items"][0]["id"]
    answer = await service.client.post(f"/v1/notifications/inbox/{newest}/read", headers=LURAH)
    assert answer.status_code == 204
    unread = (await service.client.get("/v1/notifications/inbox/unread", headers=LURAH)).json()
    assert unread["unread"] == 4
    assert len((await inbox(service, LURAH, unread_only=True))["items"]) == 4

    # Someone else's item is "not found", whether it exists or not.
    stolen = await service.client.post(f"/v1/notifications/inbox/{newest}/read", headers=CAMAT)
    assert stolen.status_code == 404
    assert stolen.headers["content-type"] == "application/problem+json"

    # A rebuild drops and replays the views; read marks live in the ledger and stay.
    await service.runtime.database.views.reset()
    for event in events:
        await handle(event)
    after = await inbox(service, LURAH)
    assert (after["total"], after["unread"]) == (5, 4)
    assert [i["read"] for i in after["items"]] == [True, False, False, False, False]

    everything = await service.client.post("/v1/notifications/inbox/read", headers=LURAH)
    assert everything.json() == {"marked": 4, "unread": 0}
    await handle(make_submitted())
    assert (await inbox(service, LURAH))["unread"] == 1  # what came later stays unread


async def test_bad_input_is_answered_with_problem_details(service: Service) -> None:
    bad_cursor = await service.client.get(
        "/v1/notifications/inbox", params={"cursor": "not-a-cursor"}, headers=LURAH
    )
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["errors"][0]["pointer"] == "/query/cursor"
    too_many = await service.client.get(
        "/v1/notifications/inbox", params={"limit": 1000}, headers=LURAH
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["pointer"] == "/query/limit"
    bad_prefs = await service.client.put(
        "/v1/notifications/preferences",
        json={"email": "not an address", "language": "fr"},
        headers=LURAH,
    )
    assert bad_prefs.status_code == 422
    pointers = sorted(e["pointer"] for e in bad_prefs.json()["errors"])
    assert pointers == ["/body/email", "/body/language"]
    integrator = await service.client.put(
        "/v1/notifications/preferences",
        json={"email": "x@y.test"},
        headers=bearer("integrator", None),
    )
    assert integrator.status_code == 403
    saved = await service.client.put(
        "/v1/notifications/preferences",
        json={"email": "l@kota.test", "language": "en"},
        headers=LURAH,
    )
    assert saved.status_code == 200
    got = await service.client.get("/v1/notifications/preferences", headers=LURAH)
    assert got.json() == {"email": "l@kota.test", "language": "en"}


# ---------------------------------------------------------------- digests on demand

ADMIN = bearer("admin", None)


@pytest.mark.parametrize(
    "at",
    [
        "9999-12-31T23:59:59+00:00",  # no date in WIB: was a 500 (OverflowError)
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00Z",  # a digest item for year 1 in every office's inbox
        "2999-01-01T00:00:00Z",
    ],
)
async def test_a_digest_far_from_now_is_refused_and_fills_no_inbox(
    service: Service, at: str
) -> None:
    await notifier(service.context).handle(make_submitted(uuid4()))
    answer = await service.client.post("/v1/notifications/digests", json={"at": at}, headers=ADMIN)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in answer.json()["errors"]] == ["/body/at"]
    assert [i["kind"] for i in (await inbox(service, LURAH))["items"]] == ["awaiting_verification"]


async def test_a_digest_of_a_missed_day_this_week_is_sent(service: Service) -> None:
    await notifier(service.context).handle(make_submitted(uuid4()))
    at = datetime.now(UTC) - timedelta(days=3)
    answer = await service.client.post(
        "/v1/notifications/digests", json={"at": at.isoformat()}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    [digest] = answer.json()["digests"]
    assert digest["day"] == digest_day(at).isoformat()
    assert "digest" in [i["kind"] for i in (await inbox(service, LURAH))["items"]]


async def test_problems_answer_in_indonesian_when_asked(service: Service) -> None:
    indonesian = {"Accept-Language": "id"}
    item = await service.client.post(
        "/v1/notifications/inbox/no-such-item/read", headers={**LURAH, **indonesian}
    )
    assert (item.status_code, item.json()["title"]) == (404, "Tidak ditemukan")
    assert item.json()["detail"] == "tidak ada butir ini di kotak masuk Anda"
    assert item.headers["content-language"] == "id"
    hook = await service.client.post(
        "/v1/webhooks/subscriptions",
        json={"url": "ftp://93.184.215.14/hook", "patterns": ["report.verified"]},
        headers={**bearer("integrator", None), **indonesian},
    )
    assert (hook.status_code, hook.json()["title"]) == (422, "URL webhook ditolak")
    assert hook.json()["errors"][0]["detail"] == "URL harus http atau https"
    prefs = await service.client.put(
        "/v1/notifications/preferences", json={"language": "fr"}, headers={**LURAH, **indonesian}
    )
    assert prefs.json()["errors"][0]["detail"] == "harus salah satu dari 'id' atau 'en'"
    english = await service.client.post("/v1/notifications/inbox/no-such-item/read", headers=LURAH)
    assert english.json()["detail"] == "no such item in your inbox"


async def test_an_rt_head_marks_one_item_read_though_its_id_holds_the_rts_slash(
    service: Service,
) -> None:
    # An RT head's item id names the RT ("…|ketua_rt:16.73.02.1019/007|inbox"): its slash,
    # sent encoded as a client must, still reaches the route (the RT app marks items read).
    rid = uuid4()
    handle = notifier(service.context).handle
    await handle(make_submitted(rid))
    await handle(make_rejected(rid, stream_version=2, tier=Tier.KELURAHAN))
    item = (await inbox(service, RT_HEAD))["items"][0]
    assert "/" in item["id"]
    path = f"/v1/notifications/inbox/{quote(item['id'], safe='')}/read"
    answer = await service.client.post(path, headers=RT_HEAD)
    assert answer.status_code == 204, answer.text
    assert (await inbox(service, RT_HEAD))["unread"] == 0
    # Still only the owner's: the same id from the lurah is not found.
    stolen = await service.client.post(path, headers=LURAH)
    assert stolen.status_code == 404, stolen.text


async def test_items_are_said_in_the_readers_language(service: Service) -> None:
    """The apps ask in the reader's language; without Accept-Language the words stay
    Indonesian, as they were before items kept their facts."""
    rid = uuid4()
    await notifier(service.context).handle(make_rejected(rid, stream_version=2))
    english = await inbox(service, {**RT_HEAD, "Accept-Language": "en"})
    indonesian = await inbox(service, {**RT_HEAD, "Accept-Language": "id"})
    plain = await inbox(service, RT_HEAD)
    assert english["items"][0]["message"].startswith("Report RT 16.73.02.1019/007")
    assert "rejected at the kelurahan tier" in english["items"][0]["message"]
    assert "ditolak di tingkat kelurahan" in indonesian["items"][0]["message"]
    assert plain["items"][0]["message"] == indonesian["items"][0]["message"]
    assert "facts" not in english["items"][0]


async def test_a_decisions_notice_names_the_report_by_its_title(service: Service) -> None:
    """ReportApproved carries no content: the camat's notice takes the title the views kept."""
    handle = notifier(service.context).handle
    rid = uuid4()
    submitted = make_submitted(rid)
    await handle(submitted)
    await handle(make_approved(rid, stream_version=2, tier=Tier.KELURAHAN))
    (item,) = (await inbox(service, {**CAMAT, "Accept-Language": "en"}))["items"]
    assert submitted.data.content.title in item["message"]  # type: ignore[union-attr]
    assert "approved at the kelurahan tier" in item["message"]
