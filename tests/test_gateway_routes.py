"""The gateway's route table fits the services: no upstream serves a path the gateway serves
itself (so a wrong method at one of its own paths is its own 405, never forwarded), and every
path an upstream documents is forwarded to that upstream."""

from __future__ import annotations

import importlib
import importlib.util
import re

import pytest
from fastapi import FastAPI
from starlette.routing import compile_path

from sipokat.intake.entrypoints.gateway import upstream_for
from sipokat.intake.settings import IntakeSettings

UPSTREAMS = ("verification", "analytics", "notification", "identity")
# The identity service's public paths, by its contract: forwarded whether or not it is installed.
IDENTITY_PATHS = ("/v1/auth/sign-in", "/v1/accounts/x1", "/.well-known/jwks.json")


def documented_paths(service: str) -> list[str]:
    app: FastAPI = importlib.import_module(f"sipokat.{service}.bootstrap").create_app()
    # Health and operations (/ops/set-aside) answer at each service's own root, not through
    # the gateway: operators reach every process, clients none of them.
    return [path for path in app.openapi()["paths"] if not path.startswith(("/health", "/ops/"))]


def sample(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", template)


@pytest.mark.parametrize("service", UPSTREAMS)
def test_each_upstream_path_is_forwarded_to_its_owner_and_none_is_the_gateways(
    service: str,
) -> None:
    if importlib.util.find_spec(f"sipokat.{service}") is None:
        pytest.skip(f"sipokat.{service} is not installed")
    own = [compile_path(template)[0] for template in documented_paths("intake")]
    settings = IntakeSettings(**{f"{name}_url": f"http://{name}" for name in UPSTREAMS})
    for template in documented_paths(service):
        path = sample(template)
        assert not any(pattern.match(path) for pattern in own), template
        assert upstream_for(path, settings) == f"http://{service}", template


def test_the_identity_services_paths_go_to_it() -> None:
    settings = IntakeSettings(identity_url="http://identity")
    for path in IDENTITY_PATHS:
        assert upstream_for(path, settings) == "http://identity", path
    assert upstream_for("/v1/authority", settings) != "http://identity"
