"""An admin imports Lubuklinggau's roster through the gateway with `sipokat accounts import`
(dry run, then the import), an RT head of it activates with their code, signs in with a PIN and
submits a report with that token; the same import again changes nothing."""

from __future__ import annotations

import asyncio
import csv
import stat
from pathlib import Path

import httpx
import pytest

from harness import RT, Platform, activated_account, auth, report_body
from sipokat.ops.cli import main as sipokat

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

ROSTER = Path(__file__).resolve().parents[2] / "examples" / "roster-lubuklinggau.csv"
ADMIN_PHONE = "0813-9000-0001"
ADMIN_PASSWORD = "kopi tubruk di balai kota"
PIN = "480913"


async def an_admin(gateway: httpx.AsyncClient) -> None:
    """An admin account with a password (the development token makes it, as the first run's
    admin would)."""
    await activated_account(gateway, "Admin Kota", "admin", None, ADMIN_PASSWORD, ADMIN_PHONE)


async def test_an_admin_imports_the_roster_and_an_rt_head_of_it_reports(
    platform: Platform,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPOKAT_ADMIN_PASSWORD", ADMIN_PASSWORD)
    gateway_url = platform.url()
    common = ["accounts", "import", str(ROSTER), "--gateway", gateway_url, "--phone", ADMIN_PHONE]
    codes = tmp_path / "codes.csv"
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as gateway:
        await an_admin(gateway)

        assert await asyncio.to_thread(sipokat, [*common, "--dry-run"]) == 0
        assert "528 rows: 528 to create, 0 unchanged" in capsys.readouterr().out
        assert not codes.exists()

        # 528 rows go in batches of 100 (each a request through the gateway)
        assert (
            await asyncio.to_thread(sipokat, [*common, "--apply", "--codes-out", str(codes)]) == 0
        )
        printed = capsys.readouterr().out
        assert "done: 528 accounts created" in printed
        assert "created 100, pending 428" in printed
        assert stat.S_IMODE(codes.stat().st_mode) == 0o600
        with codes.open(newline="") as file:
            rows = list(csv.DictReader(file))
        assert len(rows) == 528 and len({row["kode_aktivasi"] for row in rows}) == 528
        assert not any(row["kode_aktivasi"] in printed for row in rows)  # not on the terminal

        (head,) = [row for row in rows if row["rt"] == RT]
        activated = await gateway.post(
            "/v1/auth/activate",
            json={"phone": head["telepon"], "code": head["kode_aktivasi"], "password": PIN},
        )
        assert activated.status_code == 200, activated.text
        signed_in = await gateway.post(
            "/v1/auth/signin", json={"phone": head["telepon"], "password": PIN}
        )
        assert signed_in.status_code == 200, signed_in.text
        bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        me = await gateway.get("/v1/accounts/me", headers=bearer)
        assert (me.json()["name"], me.json()["post"]["wilayah"]) == (head["nama"], RT)
        accepted = await gateway.post("/v1/reports", json=report_body(), headers=bearer)
        assert accepted.status_code == 202, accepted.text

        # The same file again: nothing to create, nothing written, no codes file.
        again = tmp_path / "again.csv"
        assert (
            await asyncio.to_thread(sipokat, [*common, "--apply", "--codes-out", str(again)]) == 0
        )
        assert "528 rows: 0 to create, 528 unchanged" in capsys.readouterr().out
        assert not again.exists()
        answer = await gateway.post(
            "/v1/accounts/roster",
            params={"dry_run": "false"},
            content=ROSTER.read_bytes(),
            headers={**auth("admin", None), "Content-Type": "text/csv"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["counts"]["unchanged"] == 528 and answer.json()["complete"]
        statuses = {row["line"]: row["activated"] for row in answer.json()["rows"]}
        assert sum(statuses.values()) == 1  # the one who activated


async def test_a_bad_roster_is_refused_through_the_gateway_with_its_lines(
    platform: Platform,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "roster.csv"
    bad.write_text(
        "rt;nama;telepon\r\n16.73.02.1019/001;Siti;0812-7000-0001\r\n"
        "16.73.02.1019/999;Budi;0812-7000-0002\r\n16.73.02.1019/002;Ani;12\r\n",
        encoding="utf-8-sig",
    )
    monkeypatch.setenv("SIPOKAT_ADMIN_PASSWORD", ADMIN_PASSWORD)
    async with httpx.AsyncClient(base_url=platform.url(), timeout=30) as gateway:
        await an_admin(gateway)
        argv = ["accounts", "import", str(bad), "--apply", "--gateway", platform.url()]
        argv += ["--phone", ADMIN_PHONE, "--codes-out", str(tmp_path / "codes.csv")]
        assert await asyncio.to_thread(sipokat, argv) == 1
        said = capsys.readouterr().err
        assert "line 3, rt: RT '16.73.02.1019/999' is not in the directory" in said
        assert "line 4, phone:" in said
        lurah = await gateway.post(
            "/v1/accounts/roster",
            content=bad.read_bytes(),
            headers={**auth("lurah", "16.73.02.1019"), "Content-Type": "text/csv"},
        )
        assert lurah.status_code == 403
        dry = await gateway.post(
            "/v1/accounts/roster",
            content=b"rt,nama,telepon\n16.73.02.1019/001,Siti,0812-7000-0001\n",
            headers={**auth("admin", None), "Content-Type": "text/csv"},
        )
    assert dry.json()["counts"]["create"] == 1  # nothing of the bad file was imported
    assert not (tmp_path / "codes.csv").exists()
