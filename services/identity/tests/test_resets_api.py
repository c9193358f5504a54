"""Help nearby through identity's HTTP API, in-process on a memory store: a lurah resets an RT
head of their kelurahan, a camat a lurah of their kecamatan, an admin anyone; the refusals; the
accounts each helper sees; the record of resets."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from identity_support import Clock, Service, rerun_effects_app

from sipokat.identity.handlers import resets as handler_resets
from sipokat.identity.queries import ACCOUNTS, RESETS
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

KELURAHAN, OTHER_KELURAHAN = "16.73.02.1019", "16.73.02.1001"  # both in kecamatan 16.73.02
RT = f"{KELURAHAN}/007"
ADMIN = bearer("admin", None)  # a development token: creates accounts, names none of ours
INDONESIAN = {"Accept-Language": "id"}
PIN, NEW_PIN = "482915", "730461"
PASSWORD = "kopi-tubruk-pagi"


class Person:
    """An account of identity, its phone number, and a development token for its post."""

    def __init__(self, account: dict[str, Any], phone: str, code: str) -> None:
        self.account, self.phone, self.code = account, phone, code
        self.id: str = account["id"]
        post = account["post"]
        token = mint_token(
            ServiceSettings(), subject=self.id, role=post["role"], wilayah=post["wilayah"]
        )
        self.headers = {"Authorization": f"Bearer {token}"}


_numbers = iter(range(10_000_000, 99_999_999))


async def person(
    client: httpx.AsyncClient, role: str, wilayah: str | None, password: str | None = None
) -> Person:
    """A new account (activated with `password` when given)."""
    phone = f"+62812{next(_numbers)}"
    answer = await client.post(
        "/v1/accounts",
        json={"name": f"Bu {role}", "phone": phone, "role": role, "wilayah": wilayah},
        headers=ADMIN,
    )
    assert answer.status_code == 201, answer.text
    made = Person(answer.json()["account"], phone, answer.json()["activation_code"])
    if password is not None:
        activated = await activate(client, made.phone, made.code, password)
        assert activated.status_code == 200, activated.text
    return made


async def activate(
    client: httpx.AsyncClient, phone: str, code: str, password: str
) -> httpx.Response:
    return await client.post(
        "/v1/auth/activate", json={"phone": phone, "code": code, "password": password}
    )


async def sign_in(client: httpx.AsyncClient, phone: str, password: str) -> httpx.Response:
    return await client.post("/v1/auth/signin", json={"phone": phone, "password": password})


async def reset(client: httpx.AsyncClient, helper: Person, target: str, **headers: str) -> Any:
    return await client.post(f"/v1/accounts/{target}/reset", headers={**helper.headers, **headers})


async def test_a_lurah_resets_an_rt_heads_pin_and_the_code_sets_a_new_one_once(
    service: Service, clock: Clock
) -> None:
    async with service() as client:
        lurah = await person(client, "lurah", KELURAHAN, PASSWORD)
        rt = await person(client, "ketua_rt", RT, PIN)
        session = (await sign_in(client, rt.phone, PIN)).json()

        answer = await reset(client, lurah, rt.id)
        assert answer.status_code == 201, answer.text
        assert answer.headers["Cache-Control"] == "no-store"
        code = answer.json()["code"]
        assert len(code) == 10
        expires = datetime.fromisoformat(answer.json()["expires_at"])
        assert expires == clock.now + timedelta(minutes=30)

        # The old PIN stops working and every session of the RT head ends.
        assert (await sign_in(client, rt.phone, PIN)).status_code == 401
        refreshed = await client.post(
            "/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert refreshed.status_code == 401
        me = await client.get("/v1/accounts/me", headers=rt.headers)
        assert me.json()["activated"] is False  # a password to set again

        # The code sets a new PIN (the password rule holds) and signs in; once only.
        weak = await activate(client, rt.phone, code, "111111")
        assert weak.status_code == 422
        clock.advance(minutes=10)
        used = await activate(client, rt.phone, code, NEW_PIN)
        assert used.status_code == 200, used.text
        assert used.json()["access_token"]
        again = await activate(client, rt.phone, code, "590173")
        assert again.status_code == 401
        assert (await sign_in(client, rt.phone, NEW_PIN)).status_code == 200
        assert (await sign_in(client, rt.phone, PIN)).status_code == 401

        # The record: who, whom, when, when the code was used; never the code.
        trail = await client.get("/v1/accounts/resets", headers=lurah.headers)
        assert trail.status_code == 200, trail.text
        [record] = trail.json()["items"]
        assert record["actor"] == lurah.id
        assert (record["actor_role"], record["actor_wilayah"]) == ("lurah", KELURAHAN)
        assert (record["target"], record["target_role"], record["target_wilayah"]) == (
            rt.id,
            "ketua_rt",
            RT,
        )
        assert datetime.fromisoformat(record["at"]) == clock.now - timedelta(minutes=10)
        assert datetime.fromisoformat(record["used"]) == clock.now
        of_rt = await client.get(f"/v1/accounts/{rt.id}/resets", headers=lurah.headers)
        assert of_rt.json()["items"] == [record]
        views = runtime_of_app(client.app).database.views  # type: ignore[attr-defined]
        stored = json.dumps([await views.find(c, limit=100) for c in (RESETS, ACCOUNTS)])
        assert code not in stored and code not in json.dumps(record)


async def test_a_reset_code_expires_and_answers_as_any_wrong_code(
    service: Service, clock: Clock
) -> None:
    async with service(reset_code_minutes=30) as client:
        lurah = await person(client, "lurah", KELURAHAN, PASSWORD)
        rt = await person(client, "ketua_rt", RT, PIN)
        code = (await reset(client, lurah, rt.id)).json()["code"]
        wrong = await activate(client, rt.phone, "ABCDEFGHJK", NEW_PIN)
        clock.advance(minutes=30)
        late = await activate(client, rt.phone, code, NEW_PIN)
        assert late.status_code == wrong.status_code == 401
        assert late.json() == wrong.json()  # no oracle: expired, wrong and used look alike
        [record] = (await client.get("/v1/accounts/resets", headers=lurah.headers)).json()["items"]
        assert record["used"] is None
        # A second reset replaces the first; the first's record says so.
        fresh = (await reset(client, lurah, rt.id)).json()["code"]
        assert (await activate(client, rt.phone, fresh, NEW_PIN)).status_code == 200
        first, second = (await client.get("/v1/accounts/resets", headers=lurah.headers)).json()[
            "items"
        ]
        assert first["superseded"] == clock.now.isoformat() and first["used"] is None
        assert second["used"] == clock.now.isoformat()


async def test_wrong_reset_codes_are_throttled_as_activation_is(service: Service) -> None:
    async with service() as client:
        lurah = await person(client, "lurah", KELURAHAN, PASSWORD)
        rt = await person(client, "ketua_rt", RT, PIN)
        code = (await reset(client, lurah, rt.id)).json()["code"]
        statuses = [
            (await activate(client, rt.phone, "ABCDEFGHJK", NEW_PIN)).status_code for _ in range(7)
        ]
        assert statuses[:5] == [401] * 5 and statuses[-1] == 429
        throttled = await activate(client, rt.phone, code, NEW_PIN)  # even the right code
        assert throttled.status_code == 429 and "Retry-After" in throttled.headers


async def test_who_may_not_reset_is_refused_and_nothing_changes(service: Service) -> None:
    async with service() as client:
        lurah = await person(client, "lurah", KELURAHAN, PASSWORD)
        fellow = await person(client, "lurah", KELURAHAN, PASSWORD)
        other_lurah = await person(client, "lurah", OTHER_KELURAHAN, PASSWORD)
        camat = await person(client, "camat", "16.73.02", PASSWORD)
        rt = await person(client, "ketua_rt", RT, PIN)
        ended = await person(client, "ketua_rt", f"{KELURAHAN}/001", PIN)
        await client.post(f"/v1/accounts/{ended.id}/posts/end", headers=ADMIN)

        # Outside one's jurisdiction answers exactly as an account that does not exist.
        outside = await reset(client, other_lurah, rt.id)
        unknown = await reset(client, other_lurah, "0190f0c4-7a4e-7c2e-8d6a-4b1f3e2d1c0d")
        assert outside.status_code == unknown.status_code == 404
        assert {**outside.json(), "instance": None} == {**unknown.json(), "instance": None}

        refusals = {
            "reset_above": [(lurah, fellow.id), (lurah, camat.id)],
            "reset_self": [(lurah, lurah.id), (camat, camat.id)],
            "reset_not_yours": [(camat, rt.id)],
            "reset_no_post": [(lurah, ended.id)],
        }
        for code, attempts in refusals.items():
            for helper, target in attempts:
                answer = await reset(client, helper, target, **INDONESIAN)
                assert answer.status_code == 403, (code, answer.text)
                assert answer.json()["code"] == code
                assert answer.headers["Content-Language"] == "id"
        assert "sendiri" in (await reset(client, lurah, lurah.id, **INDONESIAN)).json()["detail"]

        # An RT head helps no one; a development token names no account to record the reset
        # under; a helper whose post has ended helps no one from that moment.
        assert (await reset(client, rt, ended.id)).status_code == 403
        assert (await client.post(f"/v1/accounts/{rt.id}/reset", headers=ADMIN)).status_code == 401
        await client.post(f"/v1/accounts/{fellow.id}/posts/end", headers=ADMIN)
        assert (await reset(client, fellow, rt.id)).status_code == 401

        assert (await sign_in(client, rt.phone, PIN)).status_code == 200  # nothing changed
        assert (await client.get("/v1/accounts/resets", headers=lurah.headers)).json() == {
            "items": [],
            "next_cursor": None,
        }


async def test_a_camat_resets_a_lurah_and_an_admin_anyone(service: Service) -> None:
    async with service() as client:
        camat = await person(client, "camat", "16.73.02", PASSWORD)
        lurah = await person(client, "lurah", OTHER_KELURAHAN, PASSWORD)
        admin = await person(client, "admin", None, PASSWORD)
        other_admin = await person(client, "admin", None, PASSWORD)
        ended = await person(client, "ketua_rt", RT, PIN)
        await client.post(f"/v1/accounts/{ended.id}/posts/end", headers=ADMIN)

        by_camat = await reset(client, camat, lurah.id)
        assert by_camat.status_code == 201, by_camat.text
        new_password = "teh-manis-sore-hari"
        used = await activate(client, lurah.phone, by_camat.json()["code"], new_password)
        assert used.status_code == 200
        assert (await sign_in(client, lurah.phone, new_password)).status_code == 200

        for target in (camat, lurah, other_admin, ended):
            assert (await reset(client, admin, target.id)).status_code == 201
        assert (await sign_in(client, camat.phone, PASSWORD)).status_code == 401
        assert (await reset(client, admin, admin.id)).status_code == 403

        everything = (await client.get("/v1/accounts/resets", headers=admin.headers)).json()
        assert [(r["actor"], r["target"]) for r in everything["items"]] == [
            (camat.id, lurah.id),
            *[(admin.id, t.id) for t in (camat, lurah, other_admin, ended)],
        ]
        # A camat sees the resets they did; of one account, the resets of it.
        mine = (await client.get("/v1/accounts/resets", headers=camat.headers)).json()["items"]
        assert [r["target"] for r in mine] == [lurah.id]
        of_lurah = await client.get(f"/v1/accounts/{lurah.id}/resets", headers=admin.headers)
        assert [r["actor"] for r in of_lurah.json()["items"]] == [camat.id, admin.id]


async def test_the_record_of_resets_pages_and_starts_at_since(
    service: Service, clock: Clock
) -> None:
    async with service() as client:
        lurah = await person(client, "lurah", KELURAHAN, PASSWORD)
        rt = await person(client, "ketua_rt", RT, PIN)
        times = []
        for _ in range(3):
            assert (await reset(client, lurah, rt.id)).status_code == 201
            times.append(clock.now)
            clock.advance(days=20)  # across a month's end
        first = await client.get("/v1/accounts/resets?limit=2", headers=lurah.headers)
        assert len(first.json()["items"]) == 2
        cursor = first.json()["next_cursor"]
        rest = await client.get(
            "/v1/accounts/resets", params={"cursor": cursor}, headers=lurah.headers
        )
        assert rest.json()["next_cursor"] is None
        pages = first.json()["items"] + rest.json()["items"]
        assert [datetime.fromisoformat(r["at"]) for r in pages] == times
        since = await client.get(
            "/v1/accounts/resets",
            params={"since": (times[1] - timedelta(minutes=1)).isoformat()},
            headers=lurah.headers,
        )
        assert [datetime.fromisoformat(r["at"]) for r in since.json()["items"]] == times[1:]
        # From the first reset on, however far back `since` asks (no month-by-month walk
        # from year 1).
        ancient = await client.get(
            "/v1/accounts/resets", params={"since": "0001-01-01T00:00:00Z"}, headers=lurah.headers
        )
        assert [datetime.fromisoformat(r["at"]) for r in ancient.json()["items"]] == times
        naive = (times[2] - timedelta(minutes=1)).replace(tzinfo=None).isoformat()
        utc = await client.get(
            "/v1/accounts/resets", params={"since": naive}, headers=lurah.headers
        )
        assert len(utc.json()["items"]) == 1
        bad = await client.get("/v1/accounts/resets?cursor=nope", headers=lurah.headers)
        assert bad.status_code == 422


async def test_each_helper_lists_the_people_they_help(service: Service) -> None:
    async with service() as client:
        lurah = await person(client, "lurah", KELURAHAN)
        other_lurah = await person(client, "lurah", OTHER_KELURAHAN)
        camat = await person(client, "camat", "16.73.02")
        admin = await person(client, "admin", None)
        rts = [await person(client, "ketua_rt", f"{KELURAHAN}/00{n}") for n in (1, 2, 3)]
        elsewhere = await person(client, "ketua_rt", f"{OTHER_KELURAHAN}/001")
        ended = await person(client, "ketua_rt", f"{KELURAHAN}/004")
        await client.post(f"/v1/accounts/{ended.id}/posts/end", headers=ADMIN)

        async def listed(helper: Person, **params: Any) -> list[dict[str, Any]]:
            answer = await client.get("/v1/accounts", params=params, headers=helper.headers)
            assert answer.status_code == 200, answer.text
            items: list[dict[str, Any]] = answer.json()["items"]
            return items

        by_lurah = await listed(lurah)
        assert {a["id"] for a in by_lurah} == {rt.id for rt in rts}
        shown = next(a for a in by_lurah if a["id"] == rts[0].id)
        assert set(shown) == {"id", "name", "phone", "post", "activated"}
        assert shown["phone"] == rts[0].phone[:6] + "****" + rts[0].phone[-4:]
        assert shown["post"]["wilayah"] == f"{KELURAHAN}/001" and shown["activated"] is False
        assert {a["id"] for a in await listed(other_lurah)} == {elsewhere.id}
        by_camat = await listed(camat)
        assert {a["id"] for a in by_camat} == {lurah.id, other_lurah.id}
        assert all("****" in a["phone"] for a in by_camat)

        everyone = await listed(admin, limit=100)
        assert len(everyone) == 9 and ended.id in {a["id"] for a in everyone}
        assert {a["phone"] for a in everyone} >= {rt.phone for rt in rts}  # whole, for admins
        assert {a["id"] for a in await listed(admin, role="lurah")} == {lurah.id, other_lurah.id}
        in_kelurahan = await listed(admin, wilayah=KELURAHAN)
        assert {a["id"] for a in in_kelurahan} == {lurah.id, *(rt.id for rt in rts)}
        rts_only = await listed(admin, role="ketua_rt", wilayah=KELURAHAN)
        assert {a["id"] for a in rts_only} == {rt.id for rt in rts}

        # Pages of one, by id, cover everyone once.
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/accounts", params=params, headers=admin.headers)).json()
            seen += [a["id"] for a in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                break
        assert seen == sorted(a["id"] for a in everyone)

        rt_caller = await client.get("/v1/accounts", headers=rts[0].headers)
        assert rt_caller.status_code == 403
        assert (await client.get("/v1/accounts", headers=ADMIN)).status_code == 401


async def test_no_reset_code_is_logged(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    # Captured once the service has configured logging (as test_api's capture does).
    async with service() as client:
        with structlog.testing.capture_logs() as logs:
            monkeypatch.setattr(
                handler_resets, "log", structlog.get_logger(handler_resets.__name__)
            )
            lurah = await person(client, "lurah", KELURAHAN, PASSWORD)
            rt = await person(client, "ketua_rt", RT, PIN)
            code = (await reset(client, lurah, rt.id)).json()["code"]
    logged = json.dumps(logs, default=str)
    assert "identity.password_reset" in logged and rt.id in logged
    assert code not in logged and rt.phone not in logged


async def test_a_reset_is_safe_when_the_store_runs_its_effect_again(
    tmp_path: Path, clock: Clock
) -> None:
    app = rerun_effects_app(IdentitySettings(data_dir=tmp_path), clock)
    runtime = runtime_of_app(app)
    async with service_client(app) as client:
        lurah = await person(client, "lurah", KELURAHAN, PASSWORD)
        rt = await person(client, "ketua_rt", RT, PIN)
        first = (await reset(client, lurah, rt.id)).json()["code"]
        second = (await reset(client, lurah, rt.id)).json()["code"]
        assert (await activate(client, rt.phone, first, NEW_PIN)).status_code == 401
        assert (await activate(client, rt.phone, second, NEW_PIN)).status_code == 200
        records = (await client.get("/v1/accounts/resets", headers=lurah.headers)).json()
        assert [(r["superseded"] is not None, r["used"] is not None) for r in records["items"]] == [
            (True, False),
            (False, True),
        ]
        assert runtime.database.views.reruns.rehearsed > 0  # type: ignore[attr-defined]
