"""Post changes as events (issue 22 §5): an account created, a post ended and a new one started
each store one event, in the same transaction as the change, with the account id, role,
wilayah and times and nothing of who the person is; `GET /v1/auth/ended-posts` answers the
ended ones. In-process on a memory store with no broker (the relay is not running: the events
are read from identity's event store, the outbox it publishes)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from identity_support import rerun_effects_app

from sipokat.events import PostEnded, PostStarted
from sipokat.events.envelope import Envelope, Role
from sipokat.events.store.base import StoreUnavailable
from sipokat.identity.handlers.post_events import send_post_events
from sipokat.identity.queries import ENDED_POSTS, POST_EVENTS
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

RT, KELURAHAN = "16.73.02.1019/007", "16.73.02.1019"
ADMIN = bearer("admin", None)
NAME, PHONE, EMAIL = "Siti Rahma", "0812-3456-7890", "siti.rahma@example.id"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    yield rerun_effects_app(IdentitySettings(data_dir=tmp_path), Clock())


async def stored_events(app: FastAPI) -> list[Envelope]:
    return [e.envelope for e in await runtime_of_app(app).database.events.read_from(0, 100)]


async def new_account(client: httpx.AsyncClient) -> dict[str, Any]:
    body = {"name": NAME, "phone": PHONE, "email": EMAIL, "role": "ketua_rt", "wilayah": RT}
    answer = await client.post("/v1/accounts", json=body, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    account: dict[str, Any] = answer.json()["account"]
    return account


async def test_every_post_change_is_one_event_with_no_name_phone_or_email(app: FastAPI) -> None:
    async with service_client(app) as client:
        account = await new_account(client)
        posts = f"/v1/accounts/{account['id']}/posts"
        assert (await client.post(f"{posts}/end", headers=ADMIN)).status_code == 200
        lurah = {"role": "lurah", "wilayah": KELURAHAN}
        assert (await client.post(posts, json=lurah, headers=ADMIN)).status_code == 201

        events = await stored_events(app)
        assert [e.type for e in events] == ["PostStarted", "PostEnded", "PostStarted"]
        assert [e.stream_version for e in events] == [1, 2, 3]
        assert {e.stream_id for e in events} == {f"account-{account['id']}"}
        assert [e.routing_key for e in events] == [
            "post.started.ketua_rt",
            "post.ended.ketua_rt",
            "post.started.lurah",
        ]
        started, ended, moved = (e.data for e in events)
        assert isinstance(started, PostStarted) and isinstance(ended, PostEnded)
        assert isinstance(moved, PostStarted)
        assert (str(started.account_id), started.role, started.wilayah) == (
            account["id"],
            Role.KETUA_RT,
            RT,
        )
        assert ended.started_at == started.started_at and ended.ended_at >= ended.started_at
        assert (moved.role, moved.wilayah) == (Role.LURAH, KELURAHAN)
        # The admin who changed the post is the actor: their account id, never a name.
        assert all(e.actor.role is Role.ADMIN and e.source == "identity" for e in events)

        # Nothing of who the person is, in any spelling of the number.
        wire = b" ".join(e.to_json() for e in events).decode()
        for secret in (NAME, "Siti", "Rahma", EMAIL, "siti.rahma", "+6281234567890", "81234567890"):
            assert secret not in wire
        # Sent: nothing waits in the outbox of the views store.
        assert await runtime_of_app(app).database.views.count(POST_EVENTS) == 0


async def test_the_ended_posts_since_a_time_are_answered_to_anyone(app: FastAPI) -> None:
    async with service_client(app) as client:
        account = await new_account(client)
        before = runtime_of_app(app).context.clock() - timedelta(minutes=65)
        await client.post(f"/v1/accounts/{account['id']}/posts/end", headers=ADMIN)

        answer = await client.get("/v1/auth/ended-posts", params={"since": before.isoformat()})
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        ended = answer.json()["ended_posts"]
        assert [post["account_id"] for post in ended] == [account["id"]]
        assert "phone" not in answer.text and NAME not in answer.text

        later = runtime_of_app(app).context.clock() + timedelta(seconds=1)
        none = await client.get("/v1/auth/ended-posts", params={"since": later.isoformat()})
        assert none.json()["ended_posts"] == []
        whole_day = await client.get("/v1/auth/ended-posts")
        assert [post["account_id"] for post in whole_day.json()["ended_posts"]] == [account["id"]]

        naive = await client.get(
            "/v1/auth/ended-posts",
            params={"since": "2026-12-07T09:00:00"},
            headers={"Accept-Language": "id"},
        )
        assert naive.status_code == 422
        for wrong in ("0.5", "2026-13-07T09:00:00Z"):  # seconds; not a real month
            refused = await client.get(
                "/v1/auth/ended-posts", params={"since": wrong}, headers={"Accept-Language": "id"}
            )
            assert refused.status_code == 422, (wrong, refused.text)
        assert await runtime_of_app(app).database.views.count(ENDED_POSTS) == 1


async def test_an_event_that_cannot_be_sent_is_kept_with_the_change_and_sent_later(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with service_client(app) as client:
        account = await new_account(client)
        runtime = runtime_of_app(app)

        async def down(*_: Any, **__: Any) -> Any:
            raise StoreUnavailable("event store down")

        monkeypatch.setattr(runtime.database.events, "append", down)
        ended = await client.post(f"/v1/accounts/{account['id']}/posts/end", headers=ADMIN)
        assert ended.status_code == 200  # the post has ended; its event waits
        assert ended.json()["post"] is None
        kept = await runtime.database.views.find(POST_EVENTS)
        assert [json.loads(doc["event"])["type"] for doc in kept] == ["PostEnded"]
        monkeypatch.undo()

        assert await send_post_events(runtime.context) == 1
        assert await send_post_events(runtime.context) == 0  # sent once
        assert [e.type for e in await stored_events(app)] == ["PostStarted", "PostEnded"]


async def test_a_roster_import_starts_each_new_holder_s_post_as_an_event(app: FastAPI) -> None:
    rts = [f"16.73.02.1019/{n:03d}" for n in range(1, 4)]
    rows = [f"{rt};Ketua RT {n};0812-0000-{10 + n:04d}" for n, rt in enumerate(rts)]
    csv = ("rt;nama;telepon\r\n" + "\r\n".join(rows) + "\r\n").encode()
    headers = {**ADMIN, "Content-Type": "text/csv"}
    async with service_client(app) as client:
        done = await client.post(
            "/v1/accounts/roster", params={"dry_run": "false"}, content=csv, headers=headers
        )
        assert done.status_code == 200, done.text
        again = await client.post(
            "/v1/accounts/roster", params={"dry_run": "false"}, content=csv, headers=headers
        )
        assert again.status_code == 200, again.text  # unchanged: no second event

        events = await stored_events(app)
        assert [e.type for e in events] == ["PostStarted"] * 3
        assert sorted(e.data.wilayah or "" for e in events) == rts  # type: ignore[attr-defined]
        assert all(e.stream_version == 1 and e.actor.role is Role.ADMIN for e in events)
        wire = b" ".join(e.to_json() for e in events).decode()
        assert "Ketua RT" not in wire and "0812" not in wire and "+62812" not in wire
        assert await runtime_of_app(app).database.views.count(POST_EVENTS) == 0
