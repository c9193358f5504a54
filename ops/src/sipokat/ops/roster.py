"""`sipokat accounts import ROSTER.csv`: an admin imports the city's RT heads through the gateway.

Signs in as an admin (phone number from `--phone` or SIPOKAT_ADMIN_PHONE, password from
SIPOKAT_ADMIN_PASSWORD or asked for), sends the file as a dry run, prints every bad row with its
line, and with `--apply` imports it: batch after batch (the same file sent again goes on where
the last request stopped) until every row is done. The activation codes go to a CSV file only
its owner can read (mode 0600), never to the terminal.
"""

from __future__ import annotations

import csv
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

ROUTE = "/v1/accounts/roster"
CODE_COLUMNS = ("rt", "nama", "telepon", "kode_aktivasi", "berlaku_sampai", "akun")


class ImportFailed(Exception):
    pass


def _language() -> str:
    return "id" if os.environ.get("LANG", "").lower().startswith("id") else "en"


class Gateway:
    def __init__(self, url: str, phone: str, password: str, transport: Any = None) -> None:
        self.client = httpx.Client(
            base_url=url.rstrip("/"),
            timeout=httpx.Timeout(60, connect=5),
            headers={"Accept-Language": _language()},
            transport=transport,
        )
        self.phone, self.password = phone, password
        self.token: str | None = None

    def sign_in(self) -> None:
        answer = self.client.post(
            "/v1/auth/signin", json={"phone": self.phone, "password": self.password}
        )
        if answer.status_code != 200:
            raise ImportFailed(f"sign-in failed: {_said(answer)}")
        self.token = answer.json()["access_token"]

    def send(self, roster: bytes, *, dry_run: bool) -> httpx.Response:
        for attempt in range(2):
            if self.token is None:
                self.sign_in()
            answer = self.client.post(
                ROUTE,
                params={"dry_run": "true" if dry_run else "false"},
                content=roster,
                headers={"Authorization": f"Bearer {self.token}", "Content-Type": "text/csv"},
            )
            if answer.status_code != 401 or attempt:
                return answer
            self.token = None  # the access token expired during a long import: sign in again
        raise AssertionError("unreachable")


def _said(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return f"{answer.status_code} {answer.text[:200]}"
    return f"{answer.status_code} {body.get('detail') or body.get('title') or body}"


def print_problem(answer: httpx.Response, out: TextIO) -> None:
    print(f"refused: {_said(answer)}", file=out)
    try:
        errors = answer.json().get("errors") or []
    except ValueError:
        errors = []
    for error in errors:
        where = f"line {error.get('line')}" + (f", {error['field']}" if error.get("field") else "")
        print(f"  {where}: {error.get('detail')}", file=out)


@contextmanager
def codes_file(path: Path) -> Iterator[csv.DictWriter[str]]:
    """A new file only its owner reads: an existing one is never overwritten (it may hold the
    codes of an earlier run)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, CODE_COLUMNS)
        writer.writeheader()
        yield writer


def default_codes_path(roster: Path) -> Path:
    return Path(f"{roster.stem}-codes-{datetime.now():%Y%m%d-%H%M%S}.csv")


def import_roster(
    roster_path: Path,
    *,
    gateway: str,
    phone: str,
    password: str,
    apply: bool,
    codes_out: Path | None,
    transport: Any = None,
) -> int:
    roster = roster_path.read_bytes()
    remote = Gateway(gateway, phone, password, transport)
    dry = remote.send(roster, dry_run=True)
    if dry.status_code != 200:
        print_problem(dry, sys.stderr)
        return 1
    counts = dry.json()["counts"]
    ignored = dry.json()["ignored_columns"]
    print(
        f"{counts['rows']} rows: {counts['create']} to create, {counts['unchanged']} unchanged"
        + (f" (columns not read: {', '.join(ignored)})" if ignored else "")
    )
    if not apply:
        print("dry run: nothing changed (--apply imports)")
        return 0
    if counts["create"] == 0:
        print("nothing to create")
        return 0
    path = codes_out or default_codes_path(roster_path)
    created = 0
    with codes_file(path) as writer:
        while True:
            answer = remote.send(roster, dry_run=False)
            if answer.status_code != 200:
                print_problem(answer, sys.stderr)
                print(f"{created} accounts created before; their codes are in {path}")
                return 1
            body = answer.json()
            batch = [row for row in body["rows"] if row["status"] == "created"]
            for row in batch:
                writer.writerow(
                    {
                        "rt": row["rt"],
                        "nama": row["name"],
                        "telepon": row["phone"],
                        "kode_aktivasi": row["activation_code"],
                        "berlaku_sampai": row["activation_expires"],
                        "akun": row["account"],
                    }
                )
            created += len(batch)
            print(f"created {created}, pending {body['counts']['pending']}")
            if body["complete"]:
                break
            if not batch:  # no progress: do not loop on
                print("the import made no progress; see the identity service's log")
                return 1
    print(f"done: {created} accounts created; their activation codes are in {path} (mode 0600)")
    return 0


def credentials(phone: str | None) -> tuple[str, str]:
    phone = phone or os.environ.get("SIPOKAT_ADMIN_PHONE")
    if not phone:
        raise SystemExit("the admin's phone number: --phone or SIPOKAT_ADMIN_PHONE")
    password = os.environ.get("SIPOKAT_ADMIN_PASSWORD") or getpass.getpass("password: ")
    return phone, password
