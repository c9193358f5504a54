"""The people the demo plays, as real accounts of the identity service.

The demo's own admin comes from a one-time admin code made on this machine (identity's store in
the data folder, as `sipokat accounts first-admin` does; it leaves the first admin's code to the
person at the terminal). That admin creates each RT head, lurah, camat and city officer the
first time the demo needs them (`POST /v1/accounts`), who then activates with their code and a
PIN or password the demo makes up, and is signed in. Access tokens live minutes: each is
refreshed shortly before it expires.

What the demo made is kept in the data folder (`demo-accounts.json`, readable by its owner
only): the phone numbers, passwords and the last refresh token of each, so the next run signs
the same people in again (a refresh costs no password hash) instead of creating them anew.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sipokat.ops.demo.retry import post_waiting

CREDENTIALS_FILE = "demo-accounts.json"
REFRESH_AHEAD = 60.0  # seconds before an access token expires that it is refreshed
FIRST_PHONE = 812_9000_0000  # 0812-9000-0000 onwards: Telkomsel numbers, one per person
CREATING_AT_ONCE = 4  # account creations in flight: each costs identity three Argon2 hashes

AdminCode = Callable[[], Awaitable[str]]


class SignInError(Exception):
    """The demo could not sign a person in (the answer says why)."""


@dataclass(frozen=True)
class Person:
    role: str
    wilayah: str | None
    number: int = 1  # several staff of one office

    @property
    def key(self) -> str:
        return f"{self.role}:{self.wilayah or '-'}:{self.number}"

    @property
    def name(self) -> str:
        what = {"ketua_rt": "Ketua RT", "lurah": "Lurah", "camat": "Camat", "pemkot": "Pemkot"}
        staff = f" #{self.number}" if self.number > 1 else ""
        return f"Demo {what.get(self.role, self.role)} {self.wilayah or ''}{staff}".strip()


ADMIN = Person("admin", None)


@dataclass
class _Session:
    access: str
    refresh: str
    expires_at: float  # on the event loop's clock


def make_password(person: Person) -> str:
    """RT heads get a PIN of 8 digits (as on their phones); the others a long password."""
    if person.role == "ketua_rt":
        return "".join(secrets.choice(string.digits) for _ in range(8))
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(20))


class Credentials:
    """`demo-accounts.json`: created readable by its owner only, replaced whole on each save."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"next_phone": FIRST_PHONE, "people": {}}
        if path.exists():
            self.data = {**self.data, **json.loads(path.read_text())}

    def person(self, person: Person) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.data["people"].get(person.key)
        return found

    def remember(self, person: Person, **fields: Any) -> None:
        self.data["people"][person.key] = {**(self.person(person) or {}), **fields}
        self.save()

    def next_phone(self) -> str:
        number = int(self.data["next_phone"])
        self.data["next_phone"] = number + 1
        return f"0{number}"

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()  # left by a run that stopped mid-save
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(self.data, file, indent=1)
        os.replace(partial, self.path)


class People:
    def __init__(self, client: httpx.AsyncClient, data_dir: Path, admin_code: AdminCode) -> None:
        self.client = client
        self.credentials = Credentials(data_dir / CREDENTIALS_FILE)
        self._admin_code = admin_code
        self._sessions: dict[str, _Session] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._creating = asyncio.Semaphore(CREATING_AT_ONCE)
        self.created = 0  # accounts this run made (the rest were there from an earlier run)

    def known(self, person: Person) -> bool:
        """Whether the person has an account already (signing them in costs no creation)."""
        return person.key in self._sessions or self.credentials.person(person) is not None

    async def headers(self, person: Person) -> dict[str, str]:
        """Bearer headers for the person, signed in (and the account made) when needed."""
        lock = self._locks.setdefault(person.key, asyncio.Lock())
        async with lock:
            session = self._sessions.get(person.key)
            now = asyncio.get_running_loop().time()
            if session is None or session.expires_at - now < REFRESH_AHEAD:
                session = await self._session(person, session)
                self._sessions[person.key] = session
        return {"Authorization": f"Bearer {session.access}"}

    async def _session(self, person: Person, current: _Session | None) -> _Session:
        stored = self.credentials.person(person)
        refresh = current.refresh if current else (stored or {}).get("refresh_token")
        if refresh:
            answer = await self._post("/v1/auth/refresh", json={"refresh_token": refresh})
            if answer.status_code == 200:
                return self._signed_in(person, answer)
        if stored is not None:
            answer = await self._post(
                "/v1/auth/signin",
                json={"phone": stored["phone"], "password": stored["password"]},
            )
            if answer.status_code == 200:
                return self._signed_in(person, answer)
            # The account is gone (a wiped store beside a kept file): made anew below.
        if person == ADMIN:
            return await self._new_admin()
        return await self._new_account(person)

    def _signed_in(self, person: Person, answer: httpx.Response) -> _Session:
        body = answer.json()
        self.credentials.remember(person, refresh_token=body["refresh_token"])
        return _Session(
            body["access_token"],
            body["refresh_token"],
            asyncio.get_running_loop().time() + float(body["expires_in"]),
        )

    async def _new_admin(self) -> _Session:
        code = await self._admin_code()
        for _ in range(20):
            phone, password = self.credentials.next_phone(), make_password(ADMIN)
            body = {"code": code, "name": ADMIN.name, "phone": phone, "password": password}
            answer = await self._post("/v1/auth/first-admin", json=body)
            if answer.status_code in (409, 422):  # a number taken, a password refused: again
                continue
            self._check(answer, 201, "the demo's admin")
            self.credentials.remember(ADMIN, phone=phone, password=password)
            self.created += 1
            return self._signed_in(ADMIN, answer)
        raise SignInError("the demo's admin: no free phone number")

    async def _new_account(self, person: Person) -> _Session:
        async with self._creating:
            admin = await self.headers(ADMIN)
            for _ in range(20):
                phone = self.credentials.next_phone()
                answer = await self._post(
                    "/v1/accounts",
                    headers=admin,
                    json={
                        "name": person.name,
                        "phone": phone,
                        "role": person.role,
                        "wilayah": person.wilayah,
                    },
                )
                if answer.status_code == 409:  # someone has this number: the next one
                    continue
                self._check(answer, 201, f"creating {person.key}")
                code = answer.json()["activation_code"]
                self.created += 1
                for _ in range(5):
                    password = make_password(person)
                    activated = await self._post(
                        "/v1/auth/activate",
                        json={"phone": phone, "code": code, "password": password},
                    )
                    if activated.status_code != 422:  # a PIN the rule refused: another
                        break
                self._check(activated, 200, f"activating {person.key}")
                self.credentials.remember(person, phone=phone, password=password)
                return self._signed_in(person, activated)
        raise SignInError(f"{person.key}: no free phone number")

    async def _post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await post_waiting(self.client, path, **kwargs)

    @staticmethod
    def _check(answer: httpx.Response, status: int, what: str) -> None:
        if answer.status_code != status:
            raise SignInError(f"{what}: {answer.status_code} {answer.text[:300]}")
