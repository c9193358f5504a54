"""The people the demo plays, against a stand-in identity service: each account is made once
(even when many requests want it at once), kept in the data folder for the owner's eyes only,
reused by the next run through its refresh token, and its token refreshed before it expires."""

from __future__ import annotations

import asyncio
import json
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sipokat.ops.demo.people import CREDENTIALS_FILE, People, Person

RT = Person("ketua_rt", "16.73.02.1019/007")
LURAH = Person("lurah", "16.73.02.1019")


@dataclass
class FakeIdentity:
    """Just enough of identity's routes: accounts by phone, one-time codes, rotating refresh
    tokens."""

    expires_in: int = 600
    taken: set[str] = field(default_factory=set)  # numbers someone else holds
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # phone -> account
    refresh: dict[str, str] = field(default_factory=dict)  # live refresh token -> phone
    calls: list[str] = field(default_factory=list)
    issued: int = 0

    def tokens(self, phone: str) -> httpx.Response:
        self.issued += 1
        token = f"refresh-{self.issued}"
        self.refresh[token] = phone
        body = {
            "access_token": f"access-{self.issued}-{self.accounts[phone]['role']}",
            "refresh_token": token,
            "expires_in": self.expires_in,
            "token_type": "Bearer",
        }
        return httpx.Response(201 if self.calls[-1] == "first-admin" else 200, json=body)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        route = request.url.path.rsplit("/", 1)[-1]
        self.calls.append(route)
        if route == "first-admin":
            assert body["code"] == "ADMIN-CODE"
            self.accounts[body["phone"]] = {"role": "admin", "password": body["password"]}
            return self.tokens(body["phone"])
        if route == "accounts":
            assert request.headers["authorization"].endswith("-admin")
            if body["phone"] in self.taken | set(self.accounts):
                return httpx.Response(409, json={})
            self.accounts[body["phone"]] = {"role": body["role"], "code": "C0DE"}
            return httpx.Response(201, json={"activation_code": "C0DE", "account": {}})
        if route == "activate":
            account = self.accounts[body["phone"]]
            assert account.pop("code") == body["code"]
            account["password"] = body["password"]
            return self.tokens(body["phone"])
        if route == "refresh":
            phone = self.refresh.pop(body["refresh_token"], None)
            return self.tokens(phone) if phone else httpx.Response(401, json={})
        if route == "signin":
            holder = self.accounts.get(body["phone"])
            if holder and holder.get("password") == body["password"]:
                return self.tokens(body["phone"])
            return httpx.Response(401, json={})
        return httpx.Response(404)


class AdminCodes:
    def __init__(self) -> None:
        self.made = 0

    async def __call__(self) -> str:
        self.made += 1
        return "ADMIN-CODE"


def people_on(identity: FakeIdentity, data_dir: Path, codes: AdminCodes) -> People:
    client = httpx.AsyncClient(transport=httpx.MockTransport(identity), base_url="http://gw")
    return People(client, data_dir, codes)


async def test_each_person_is_made_once_and_kept_for_the_owner_only(tmp_path: Path) -> None:
    identity, codes = FakeIdentity(taken={"081290000001"}), AdminCodes()
    people = people_on(identity, tmp_path, codes)
    answers = await asyncio.gather(*(people.headers(p) for p in [RT, LURAH, RT, LURAH, RT]))
    assert answers[0] == answers[2] == answers[4] != answers[1]
    assert answers[0]["Authorization"].endswith("-ketua_rt")
    assert codes.made == 1 and identity.calls.count("first-admin") == 1
    assert identity.calls.count("activate") == 2 and people.created == 3
    kept = tmp_path / CREDENTIALS_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    stored = json.loads(kept.read_text())["people"]
    rt = stored[RT.key]
    assert rt["phone"] != "081290000001"  # taken by someone: the next number
    assert rt["password"].isdigit() and len(rt["password"]) == 8  # an RT head's PIN
    assert identity.accounts[rt["phone"]]["password"] == rt["password"]
    assert len(stored[LURAH.key]["password"]) >= 10


async def test_the_next_run_signs_the_same_people_in_without_making_any(tmp_path: Path) -> None:
    identity, codes = FakeIdentity(), AdminCodes()
    await people_on(identity, tmp_path, codes).headers(RT)
    made = len(identity.accounts)
    identity.calls.clear()

    again = people_on(identity, tmp_path, codes)
    assert again.known(RT) and not again.known(LURAH)
    assert (await again.headers(RT))["Authorization"].endswith("-ketua_rt")
    assert identity.calls == ["refresh"]  # no password hash at all
    assert len(identity.accounts) == made and codes.made == 1 and again.created == 0

    # A refresh token that no longer works (the session ended): the password signs in.
    identity.refresh.clear()
    third = people_on(identity, tmp_path, codes)
    await third.headers(RT)
    assert identity.calls[-2:] == ["refresh", "signin"] and third.created == 0


async def test_a_token_near_its_expiry_is_refreshed(tmp_path: Path) -> None:
    identity = FakeIdentity(expires_in=600)
    people = people_on(identity, tmp_path, AdminCodes())
    first = await people.headers(LURAH)
    assert await people.headers(LURAH) == first  # ten minutes left: kept
    # Tokens of 30 s: less than the minute ahead the demo refreshes, so every use refreshes.
    identity.expires_in = 30
    shortlived = await people_on(identity, tmp_path, AdminCodes()).headers(LURAH)
    assert identity.calls[-1] == "refresh"
    later = people_on(identity, tmp_path, AdminCodes())
    tokens = [await later.headers(LURAH) for _ in range(3)]
    assert len({t["Authorization"] for t in [first, shortlived, *tokens]}) == 5
    assert identity.calls[-3:] == ["refresh"] * 3
