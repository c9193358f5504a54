"""Schemathesis against every service's OpenAPI: no 5xx on any generated input, and every answer
matches what the operation declares (status, content type, headers, body schema).

Each service runs in-process with its lifespan (store on a fresh SQLite data dir, relay and
consumer on this test's own broker prefix), its OpenAPI read from the app itself. Schemathesis 4
starts the ASGI lifespan itself, on the event-loop thread it sends every request from: the app's
broker links and SQLite connections then live on the loop that serves its requests (a
LifespanManager on pytest's loop would put them on another one).

Requests carry the tokens of every role, no token, a garbage one, or a validly signed one whose
claims are at or past the edges of the contract (an empty or 201-character `sub`, control
characters, a wilayah with a trailing newline), picked from a hash of the generated case: rotated
across cases, and the same again when hypothesis replays a case.

Beside what the schemas generate, cases draw the shapes that slip past patterns written for
Python's `re` and past date arithmetic: a query string may become a real wilayah code or month
with a trailing newline, in Arabic-Indic or fullwidth digits, or with a control character; a date
or date-time in a body may become the first or last one there is (`edge_query`, `edge_body`).
`SIPOKAT_FUZZ_EXAMPLES=500` runs a long soak.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.python.asgi import shutdown_lifespans

from sipokat.analytics.bootstrap import create_app as create_analytics
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.events.testing import TrackedTopology
from sipokat.identity.bootstrap import create_app as create_identity
from sipokat.identity.settings import IdentitySettings
from sipokat.intake.adapters.openapi_merge import UPSTREAM
from sipokat.intake.bootstrap import create_app as create_intake
from sipokat.intake.settings import IntakeSettings
from sipokat.notification.bootstrap import create_app as create_notification
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings
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
RT, KELURAHAN = "16.73.02.1019/007", "16.73.02.1019"


def minted(subject: str, role: str, wilayah: str | None, name: str | None = None) -> str:
    return mint_token(ServiceSettings(), subject=subject, role=role, wilayah=wilayah, name=name)


CREDENTIALS = [
    *(
        Credential(f"{role} {wilayah or ''}".strip(), bearer(role, wilayah))
        for role, wilayah in ROLES
    ),
    Credential("no token", {}),
    Credential("garbage token", {"Authorization": "Bearer not.a.jwt"}),
    *(
        Credential(label, {"Authorization": f"Bearer {token}"})
        for label, token in (
            ("rt, empty sub", minted("", "ketua_rt", RT)),
            ("lurah, sub of 201", minted("x" * 201, "lurah", KELURAHAN)),
            ("rt, sub of 200", minted("x" * 200, "ketua_rt", RT)),
            ("admin, sub with a newline", minted("admin\n", "admin", None)),
            ("lurah, name with NUL", minted("lurah", "lurah", KELURAHAN, name="Bu\x00Lurah")),
            ("rt, wilayah with a newline", minted("rt", "ketua_rt", RT + "\n")),
        )
    ),
]


# Real codes and months, then each with what `\d`, `$` and friends let through.
_REAL = [RT, KELURAHAN, "16.73.02", "16.73", "2026-03"]
_DIGITS = {ord(str(d)): chr(0x0660 + d) for d in range(10)}
_FULLWIDTH = {ord(str(d)): chr(0xFF10 + d) for d in range(10)}
EDGE_STRINGS = [
    *_REAL,
    *(value + "\n" for value in _REAL),
    *(value.translate(_DIGITS) for value in _REAL),
    *(value.translate(_FULLWIDTH) for value in _REAL),
    RT[:5] + "\x00" + RT[5:],
    " " + RT,
]
EDGE_DATES = ["0001-01-01", "9999-12-31"]
EDGE_DATETIMES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-14:00",
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
    "identity": lambda common: create_identity(IdentitySettings(**common, **EDGE_UNLIMITED)),
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
    schema = schema.exclude(func=passed_on)
    schema.hook("flatmap_query")(edge_query)
    schema.hook("flatmap_body")(edge_body)
    try:
        yield schema
    finally:
        shutdown_lifespans()


def edge_query(_: schemathesis.HookContext, query: dict[str, Any] | None) -> Any:
    """The generated query, or one of its strings replaced by an edge string."""
    names = [name for name, value in (query or {}).items() if isinstance(value, str)]
    if not query or not names:
        return st.just(query)
    edged = st.tuples(st.sampled_from(names), st.sampled_from(EDGE_STRINGS)).map(
        lambda pick: {**query, pick[0]: pick[1]}
    )
    return st.one_of(st.just(query), edged)


def _dated(body: Any, edge: int) -> Any:
    """`body` with every date (date-time) string in it the `edge`-th first or last one."""
    if isinstance(body, dict):
        return {key: _dated(value, edge) for key, value in body.items()}
    if isinstance(body, list):
        return [_dated(value, edge) for value in body]
    if isinstance(body, str):
        for parse, edges in ((date.fromisoformat, EDGE_DATES), (datetime.fromisoformat, None)):
            try:
                parse(body)
            except ValueError:
                continue
            if edges is not None and len(body) == 10:
                return edges[edge % len(edges)]
            return EDGE_DATETIMES[edge % len(EDGE_DATETIMES)]
    return body


def edge_body(_: schemathesis.HookContext, body: Any) -> Any:
    """The generated body, or the same with its dates at the ends of the calendar."""
    return st.one_of(
        st.just(body), st.integers(0, len(EDGE_DATETIMES) - 1).map(lambda e: _dated(body, e))
    )


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


def passed_on(ctx: Any) -> bool:
    """What the gateway documents but passes on (its stand-in for GET /v1/reports, and in its
    merged /openapi.json every upstream's operation, when one answers) is fuzzed at its
    upstream: beside the gateway alone, no upstream runs, and its honest answer would be a 502."""
    return UPSTREAM in ctx.operation.definition.raw


fuzzed = schemathesis.pytest.from_fixture("service_schema").exclude(func=passed_on)


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


# ---------------------------------------------------------------- every edge, every operation

# Who sends the edge cases: each route takes one of them past its role check.
EDGE_SENDERS = [bearer("admin", None), bearer("pemkot", "16.73"), bearer("ketua_rt", RT), {}]


def _resolved(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for alternative in schema.get("anyOf", []):
        if alternative.get("type") != "null":
            return _resolved(alternative, document)
    return schema


def _sample_body(operation: dict[str, Any], document: dict[str, Any]) -> Any:
    """The operation's first documented JSON example, else its date fields alone; None if it
    takes no JSON body with a date in it."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    examples = list(content.get("examples", {}).values())
    if examples:
        return examples[0]["value"]
    properties = _resolved(content.get("schema", {}), document).get("properties", {})
    dates = {"date": "2026-03-02", "date-time": "2026-03-02T00:00:00Z"}
    return {
        name: dates[fmt]
        for name, field in properties.items()
        if (fmt := _resolved(field, document).get("format")) in dates
    } or None


def edge_cases(operation: dict[str, Any], document: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """(what, query, body) for each query string of the operation set to each edge string, and
    for its sample body with every date at each end of the calendar."""
    for parameter in operation.get("parameters", []):
        schema = _resolved(parameter.get("schema", {}), document)
        if parameter.get("in") == "query" and schema.get("type") == "string":
            for value in EDGE_STRINGS:
                yield f"?{parameter['name']}={value!r}", {parameter["name"]: value}, None
    sample = _sample_body(operation, document)
    for edge in range(len(EDGE_DATETIMES)):
        if sample is not None and (dated := _dated(sample, edge)) != sample:
            yield f"dates {EDGE_DATETIMES[edge]}", {}, dated


def test_edge_values_in_every_query_and_date_answer_no_server_error(
    service_schema: schemathesis.BaseSchema,
) -> None:
    """Deterministic beside the random run above: every query string of every operation gets
    every edge string, and every JSON body its dates at both ends of the calendar, from each
    sender. Operations with path parameters are left to the random run (they need real ids)."""
    document = service_schema.raw_schema
    failures = []
    for result in service_schema.get_all_operations():
        operation = result.ok()
        raw = operation.definition.raw
        if operation.path_parameters or "{" in operation.path:
            continue
        for what, query, body in edge_cases(raw, document):
            for headers in EDGE_SENDERS:
                case = operation.Case(query=query, **({} if body is None else {"body": body}))
                response = case.call(headers=headers)
                if response.status_code >= 500 and response.status_code != 503:
                    failures.append((operation.label, what, response.status_code, response.text))
    assert failures == []
