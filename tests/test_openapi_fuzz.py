"""Schemathesis against every service's OpenAPI: no 5xx on any generated input, and every answer
matches what the operation declares (status, content type, headers, body schema).

Each service runs in-process with its lifespan (store on a fresh SQLite data dir, relay and
consumer on this test's own broker prefix), its OpenAPI read from the app itself. Schemathesis 4
starts the ASGI lifespan itself, on the event-loop thread it sends every request from: the app's
broker links and SQLite connections then live on the loop that serves its requests (a
LifespanManager on pytest's loop would put them on another one).

Requests carry the tokens of every role, no token, or a garbage one, picked from a hash of the
generated case: rotated across cases, and the same again when hypothesis replays a case.
`SIPOKAT_FUZZ_EXAMPLES=500` runs a long soak.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.python.asgi import shutdown_lifespans

from sipokat.analytics.bootstrap import create_app as create_analytics
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.events.testing import TrackedTopology
from sipokat.intake.bootstrap import create_app as create_intake
from sipokat.intake.settings import IntakeSettings
from sipokat.notification.bootstrap import create_app as create_notification
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.testing import ONE_OF_EACH_ROLE, bearer
from sipokat.verification.bootstrap import create_app as create_verification
from sipokat.verification.settings import VerificationSettings

# Per operation. Small by default so the whole run stays well inside `make test`'s budget on a
# loaded 2-core machine; the soak raises it.
EXAMPLES = int(os.environ.get("SIPOKAT_FUZZ_EXAMPLES", "12"))

# One test per service runs all its operations: a soak needs more than the suite's 120 s.
pytestmark = [pytest.mark.fuzz, pytest.mark.broker, pytest.mark.timeout(120 + 2 * EXAMPLES)]


@dataclass(frozen=True)
class Credential:
    label: str
    headers: dict[str, str]

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        return f"Credential({self.label})"


ROLES = ONE_OF_EACH_ROLE
CREDENTIALS = [
    *(
        Credential(f"{role} {wilayah or ''}".strip(), bearer(role, wilayah))
        for role, wilayah in ROLES
    ),
    Credential("no token", {}),
    Credential("garbage token", {"Authorization": "Bearer not.a.jwt"}),
]

# Far above what a run sends: a fuzz run that turns into 429s tests nothing else.
EDGE_UNLIMITED: dict[str, Any] = {"rate_limit_per_second": 1e6, "rate_limit_burst": 1_000_000}
UNLIMITED: dict[str, Any] = {
    **EDGE_UNLIMITED,
    "upload_rate_per_second": 1e6,
    "upload_burst": 1_000_000,
}

AppFactory = Callable[[dict[str, Any]], FastAPI]

SERVICES: dict[str, AppFactory] = {
    "intake": lambda common: create_intake(IntakeSettings(**common, **UNLIMITED)),
    # Every service limits its clients' rate (create_service_app), so every one is unlimited here.
    "verification": lambda common: create_verification(
        VerificationSettings(**common, **EDGE_UNLIMITED)
    ),
    "analytics": lambda common: create_analytics(
        AnalyticsSettings(
            **common, **EDGE_UNLIMITED, rebuild_idle_seconds=0.2, rabbitmq_stream_url="off"
        )
    ),
    "notification": lambda common: create_notification(
        NotificationSettings(**common, **EDGE_UNLIMITED, digest_enabled=False)
    ),
}


def _no_dns_for_made_up_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook URLs are generated: their host names must not become DNS queries. Every name but
    localhost gets a documentation address (192.0.2.10, refused: not public), as DNS would."""
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        try:
            if name is None or name == "localhost" or ipaddress.ip_address(name):
                return real(host, port, *args, **kwargs)
        except ValueError:
            pass
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.10", port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.fixture(params=sorted(SERVICES))
def service_schema(
    request: pytest.FixtureRequest,
    rabbitmq_url: str,
    topology: TrackedTopology,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[schemathesis.BaseSchema]:
    name: str = request.param
    topology.service_queue(name)  # so that teardown deletes what the service declares
    _no_dns_for_made_up_hosts(monkeypatch)
    app = SERVICES[name](
        {
            "data_dir": tmp_path,
            "rabbitmq_url": rabbitmq_url,
            "broker_prefix": topology.prefix,
            "log_level": "WARNING",
        }
    )
    # Loading the schema through the app starts its lifespan (store, relay, consumer).
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=checks_for(name))
    try:
        yield schema
    finally:
        shutdown_lifespans()


def checks_for(service: str) -> schemathesis.Config:
    checks: dict[str, Any] = {
        # Schema-valid is not always acceptable: the services' rules beyond the schema (a month
        # range, a cursor from a previous page, the activity window, the directory) refuse such
        # input with 400 or 422 problem details, by design. 5xx still fails (not_a_server_error).
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", 400, 401, 403, 404, 409, 413, 415, 422, 429]
        },
    }
    phases: dict[str, Any] = {}
    if service == "analytics":
        # The fuzz itself starts rebuilds (POST /v1/analytics/rebuild as admin); meanwhile every
        # query answers the documented 503 with Retry-After. Any other 5xx still fails.
        checks |= {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", 503]}}
        accepted = checks["positive_data_acceptance"]["expected-statuses"]
        checks["positive_data_acceptance"] = {"expected-statuses": [*accepted, 503]}
    return schemathesis.Config.from_dict({"checks": checks, "phases": phases})


fuzzed = schemathesis.pytest.from_fixture("service_schema")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI is reproducible
    database=None,
    suppress_health_check=list(HealthCheck),
)
@fuzzed.parametrize()
def test_no_server_error_and_answers_match_the_schema(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers=credential_for(case).headers)


def credential_for(case: schemathesis.Case[Any]) -> Credential:
    # Not drawn with @given: schemathesis refuses extra strategies beside the schema's examples.
    generated = repr((case.path_parameters, case.query, case.headers, case.body))
    return CREDENTIALS[zlib.crc32(generated.encode()) % len(CREDENTIALS)]
