"""Where `sipokat status` looks for each service."""

from __future__ import annotations

import pytest

from sipokat.ops.status import service_url


def test_default_ports_on_this_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIPOKAT_ANALYTICS_URL", raising=False)
    assert service_url("analytics") == "http://127.0.0.1:8002"


def test_the_gateways_upstream_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPOKAT_VERIFICATION_URL", "http://verification.sipokat:8001/")
    assert service_url("verification") == "http://verification.sipokat:8001"
