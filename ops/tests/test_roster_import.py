"""`sipokat accounts import` against a stand-in for the gateway (httpx.MockTransport): what it
sends, what it prints, where the codes go (the real route: tests/e2e/test_identity_roster.py)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from sipokat.ops.roster import import_roster


class Identity:
    """Answers sign-in, and the roster route batch after batch; `expire_once` makes one
    request fail as an expired token does."""

    def __init__(self, batches: list[list[str]], expire_once: bool = False) -> None:
        self.batches = batches
        self.expire_once = expire_once
        self.sign_ins = 0
        self.sent: list[tuple[str, bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/signin":
            self.sign_ins += 1
            assert json.loads(request.content) == {"phone": "0813", "password": "rahasia"}
            return httpx.Response(200, json={"access_token": f"t{self.sign_ins}"})
        assert request.headers["content-type"] == "text/csv"
        if self.expire_once and request.url.params["dry_run"] == "false":
            self.expire_once = False
            return httpx.Response(401, json={"title": "Unauthorized"})
        self.sent.append((request.url.params["dry_run"], request.content))
        if request.url.params["dry_run"] == "true":
            count = sum(len(batch) for batch in self.batches)
            return httpx.Response(200, json=answer([], pending=count, dry=True))
        batch = self.batches.pop(0)
        return httpx.Response(200, json=answer(batch, pending=sum(map(len, self.batches))))


def answer(codes: list[str], *, pending: int, dry: bool = False) -> dict[str, Any]:
    rows = [
        {
            "line": 2 + n,
            "rt": f"16.73.02.1019/{n + 1:03d}",
            "name": f"RT {n}",
            "phone": f"+62812700000{n:02d}",
            "status": "created",
            "account": f"a{n}",
            "activation_code": code,
            "activation_expires": "2026-12-10T09:00:00+00:00",
        }
        for n, code in enumerate(codes)
    ]
    counts = {"rows": 3, "create": pending if dry else 0, "unchanged": 0, "pending": pending}
    return {"rows": rows, "counts": counts, "complete": pending == 0, "ignored_columns": []}


def run(tmp_path: Path, identity: Any, *, apply: bool = True) -> int:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"rt,nama,telepon\n")
    return import_roster(
        roster,
        gateway="http://gateway",
        phone="0813",
        password="rahasia",
        apply=apply,
        codes_out=tmp_path / "codes.csv",
        transport=httpx.MockTransport(identity),
    )


def test_an_import_in_batches_writes_every_code_to_a_private_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    identity = Identity([["AAAA2222BB", "CCCC3333DD"], ["EEEE4444FF"]], expire_once=True)
    assert run(tmp_path, identity) == 0
    codes = tmp_path / "codes.csv"
    assert stat.S_IMODE(codes.stat().st_mode) == 0o600
    lines = codes.read_text().splitlines()
    assert lines[0] == "rt,nama,telepon,kode_aktivasi,berlaku_sampai,akun"
    assert [line.split(",")[3] for line in lines[1:]] == ["AAAA2222BB", "CCCC3333DD", "EEEE4444FF"]
    printed = capsys.readouterr().out
    assert "AAAA2222BB" not in printed and "done: 3 accounts created" in printed
    assert identity.sign_ins == 2  # the expired token: signed in again, once
    assert [dry for dry, _ in identity.sent] == ["true", "false", "false"]


def test_a_dry_run_changes_nothing_and_an_existing_codes_file_is_never_overwritten(
    tmp_path: Path,
) -> None:
    identity = Identity([["AAAA2222BB"]])
    assert run(tmp_path, identity, apply=False) == 0
    assert not (tmp_path / "codes.csv").exists()
    (tmp_path / "codes.csv").write_text("the codes of an earlier run\n")
    with pytest.raises(FileExistsError):
        run(tmp_path, identity)
    assert (tmp_path / "codes.csv").read_text() == "the codes of an earlier run\n"
    assert [dry for dry, _ in identity.sent] == ["true", "true"]  # nothing imported


def test_bad_rows_are_printed_with_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/signin":
            return httpx.Response(200, json={"access_token": "t"})
        problem = {
            "title": "Invalid request",
            "detail": "1 line(s) of the roster are wrong; nothing was imported",
            "errors": [
                {"line": 3, "field": "rt", "code": "rt_unknown", "detail": "RT 'x' is not in"}
            ],
        }
        return httpx.Response(422, json=problem)

    assert run(tmp_path, refuse) == 1
    said = capsys.readouterr().err
    assert "refused: 422 1 line(s) of the roster are wrong" in said
    assert "line 3, rt: RT 'x' is not in" in said
    assert not (tmp_path / "codes.csv").exists()
