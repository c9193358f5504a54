"""The gateway's route table fits the services: no upstream serves a path the gateway serves
itself (so a wrong method at one of its own paths is its own 405, never forwarded), and every
path an upstream documents is forwarded to that upstream."""

from __future__ import annotations

import importlib
import importlib.util
import re
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.routing import compile_path

from sipokat.intake.adapters.openapi_merge import UPSTREAM
from sipokat.intake.entrypoints.gateway import upstream_for
from sipokat.intake.settings import IntakeSettings

UPSTREAMS = ("verification", "analytics", "notification", "identity")
# The identity service's public paths, by its contract: forwarded whether or not it is installed.
IDENTITY_PATHS = ("/v1/auth/sign-in", "/v1/accounts/x1", "/.well-known/jwks.json")


def documented(service: str) -> dict[str, dict[str, Any]]:
    app: FastAPI = importlib.import_module(f"sipokat.{service}.bootstrap").create_app()
    # Health and operations (/ops/set-aside) answer at each service's own root, not through
    # the gateway: operators reach every process, clients none of them.
    return {
        path: operations
        for path, operations in app.openapi()["paths"].items()
        if not path.startswith(("/health", "/ops/"))
    }


def documented_paths(service: str) -> list[str]:
    return list(documented(service))


def sample(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", template)


@pytest.mark.parametrize("service", UPSTREAMS)
def test_each_upstream_path_is_forwarded_to_its_owner_and_none_is_the_gateways(
    service: str,
) -> None:
    """An upstream's operation the gateway documents too (so a client finds it in the gateway's
    OpenAPI) is marked as passed on to that upstream; any other path of the gateway's own is
    no upstream's."""
    if importlib.util.find_spec(f"sipokat.{service}") is None:
        pytest.skip(f"sipokat.{service} is not installed")
    own = [(compile_path(template)[0], ops) for template, ops in documented("intake").items()]
    settings = IntakeSettings(**{f"{name}_url": f"http://{name}" for name in UPSTREAMS})
    for template, operations in documented(service).items():
        path = sample(template)
        for pattern, gateway_operations in own:
            if not pattern.match(path):
                continue
            for method, operation in gateway_operations.items():
                if method in operations:
                    assert operation.get(UPSTREAM) == service, (method, template)
                else:
                    assert operation.get(UPSTREAM) is None, (method, template)
        assert upstream_for(path, settings) == f"http://{service}", template


def test_each_route_the_gateway_keeps_to_pass_on_is_its_upstreams_operation() -> None:
    """The gateway's stand-ins (marked in its own document; the merged /openapi.json shows the
    upstream's operation in their place, tests/test_gateway_openapi.py) each stand for an
    operation the upstream documents, at a path routed to it."""
    settings = IntakeSettings(**{f"{name}_url": f"http://{name}" for name in UPSTREAMS})
    passed_on = [
        (path, method, operation[UPSTREAM])
        for path, operations in documented("intake").items()
        for method, operation in operations.items()
        if UPSTREAM in operation
    ]
    assert ("/v1/reports", "get", "verification") in passed_on
    for path, method, service in passed_on:
        assert method in documented(service)[path], (method, path)
        assert upstream_for(sample(path), settings) == f"http://{service}", path


def test_the_identity_services_paths_go_to_it() -> None:
    settings = IntakeSettings(identity_url="http://identity")
    for path in IDENTITY_PATHS:
        assert upstream_for(path, settings) == "http://identity", path
    assert upstream_for("/v1/authority", settings) != "http://identity"
