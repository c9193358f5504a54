"""`sipokat run` starts the services that are installed: the identity service once its package
is there, on its port, and the four without it; on other ports when asked; its banner tells the
first admin's code or where to sign in. (The first run end to end: tests/e2e/test_first_run.py.)"""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sipokat.ops import cli, firstrun, launcher
from sipokat.runtime.settings import DEFAULT_PORTS, installed_services

FOUR = ["intake", "verification", "analytics", "notification"]


def test_the_four_always_and_identity_on_8004() -> None:
    assert tuple(installed_services()) == launcher.SERVICES
    assert installed_services()[:4] == FOUR
    assert DEFAULT_PORTS["identity"] == 8004


def test_an_installed_identity_is_started_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "identity" in installed_services():
        pytest.skip("sipokat.identity is installed: the launcher's list shows it already")
    package = tmp_path / "sipokat" / "identity"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    # `sipokat` is a namespace package: a folder on the path adds to it, as an install does.
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    assert installed_services() == [*FOUR, "identity"]


def test_a_base_port_moves_every_service_and_tells_them_where_the_others_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert launcher.ports_from(None) == DEFAULT_PORTS
    ports = launcher.ports_from(9000)
    assert ports == {
        "intake": 9000,
        "verification": 9001,
        "analytics": 9002,
        "notification": 9003,
        "identity": 9004,
    }
    monkeypatch.delenv("SIPOKAT_VERIFICATION_URL", raising=False)
    monkeypatch.setenv("SIPOKAT_ANALYTICS_URL", "http://analytics.example:80")
    env = launcher.service_env(ports)
    assert env["SIPOKAT_VERIFICATION_URL"] == "http://127.0.0.1:9001"
    assert env["SIPOKAT_IDENTITY_JWKS_URL"] == "http://127.0.0.1:9004/.well-known/jwks.json"
    assert env["SIPOKAT_ANALYTICS_URL"] == "http://analytics.example:80"  # the environment's


def test_the_banner_shows_the_first_admins_code_or_where_to_sign_in() -> None:
    AdminCode = pytest.importorskip("sipokat.identity.handlers.firstrun").AdminCode

    gateway = "http://127.0.0.1:8000"
    code = AdminCode("ABCD-EFGH-JKMN", datetime(2026, 12, 8, 9, 0, tzinfo=UTC), "first-run")
    first = firstrun.first_admin_banner(gateway, code, identity=True)
    assert "\n      ABCD-EFGH-JKMN\n" in first and "2026-12-08 09:00 UTC" in first
    assert f"{gateway}/v1/auth/first-admin" in first
    later = firstrun.first_admin_banner(gateway, None, identity=True)
    assert "ABCD" not in later and f"{gateway}/v1/auth/signin" in later
    assert "sipokat accounts first-admin" in later
    assert firstrun.first_admin_banner(gateway, None, identity=False) == ""


def test_accounts_first_admin_prints_a_new_code_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sipokat.identity")
    monkeypatch.setenv("SIPOKAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SIPOKAT_STORE_BACKEND", "sqlite")
    codes: list[str] = []
    for _ in range(2):
        assert cli.main(["accounts", "first-admin"]) == 0
        said = capsys.readouterr().out
        assert "for the first admin" in said
        codes += re.findall(r"^    ([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})$", said, re.MULTILINE)
    assert len(codes) == 2 and codes[0] != codes[1]
    assert (tmp_path / "identity.db").exists()
