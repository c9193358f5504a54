"""`sipokat run` starts the services that are installed: the identity service once its package
is there, on its port, and the four without it."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from sipokat.ops import launcher
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
