"""Every operation of every service, taken from its own OpenAPI document, is either on the
explicit public list or refuses every bad token with 401, a problem+json body and a Bearer
challenge — on the service's own port and through the gateway."""

from __future__ import annotations

import httpx
import pytest
from security.api import (
    Answer,
    all_operations,
    fill,
    in_parallel,
    problem_json,
    sample_values,
    send,
)
from security.conftest import RealWorld
from security.matrix import PUBLIC, PUBLIC_UNDOCUMENTED
from security.principals import bad_authorizations

from harness import Platform

pytestmark = [pytest.mark.e2e, pytest.mark.broker]


def routes(platform: Platform, service: str, path: str = "") -> list[tuple[str, str]]:
    """(how, base URL): the service itself, and the gateway in front of the other three; an
    operator's route (/ops/…) answers only at its own service, as /health does."""
    direct = [(f"{service} directly", platform.url(service))]
    if service == "intake" or path.startswith("/ops/"):
        return direct
    return [*direct, ("via the gateway", platform.url())]


def refused(answer: Answer) -> bool:
    return (
        answer.status == 401
        and problem_json(answer)
        and answer.headers.get("www-authenticate", "").startswith("Bearer")
    )


def test_every_operation_is_public_or_refuses_every_bad_token(
    secured: Platform, world: RealWorld
) -> None:
    operations = all_operations(secured)
    values = sample_values(world.report_id)
    tokens = bad_authorizations()
    probes = [
        (service, operation, how, base, token_name)
        for service, listed in operations.items()
        for operation in listed
        if operation not in PUBLIC[service]
        for how, base in routes(secured, service, operation.split(" ", 1)[1])
        for token_name in tokens
    ]
    with httpx.Client(timeout=15) as client:

        def probe(case: tuple[str, str, str, str, str]) -> str | None:
            _, operation, how, base, token_name = case
            method, path = operation.split(" ", 1)
            authorization = tokens[token_name]
            headers = {"Authorization": authorization} if authorization else {}
            answer = send(client, method, base + fill(path, values), headers=headers)
            if refused(answer):
                return None
            return f"{operation} ({how}) with {token_name}: {answer.status} {answer.text[:160]}"

        failures = [f for f in in_parallel(probe, probes) if f]
    assert len(probes) > 500  # the documents were read: dozens of operations x tokens x routes
    assert not failures, f"{len(failures)} of {len(probes)} not refused:\n" + "\n".join(failures)


def test_the_public_list_names_real_operations_that_answer_without_a_token(
    secured: Platform, world: RealWorld
) -> None:
    operations = all_operations(secured)
    stale = {
        service: sorted(PUBLIC[service] - set(listed)) for service, listed in operations.items()
    }
    assert not any(stale.values()), f"public operations no service documents: {stale}"
    values = sample_values(world.report_id)
    failures = []
    with httpx.Client(timeout=15) as client:
        for service, listed in PUBLIC.items():
            for operation in sorted(listed):
                method, path = operation.split(" ", 1)
                params = {"jurisdiction_id": "16.73"} if "open311" in path else None
                if path == "/v1/config":
                    params = {"wilayah": "16.73"}
                answer = send(
                    client, method, secured.url(service) + fill(path, values), params=params
                )
                # Public: no token needed. The report is not verified, so Open311 says 404; a
                # POST sent without its body is judged on the body (422), not on a token.
                answered = (200, 404, 422) if method == "POST" else (200, 404)
                if answer.status not in answered:
                    failures.append(f"{service} {operation}: {answer.status} {answer.text[:120]}")
        for service, path in PUBLIC_UNDOCUMENTED:
            answer = send(client, "GET", secured.url(service) + path)
            # The old dashboard's address sends a browser to the console's, token or not.
            if answer.status != (303 if path == "/dashboard" else 200):
                failures.append(f"{service} GET {path}: {answer.status}")
    assert not failures, "\n".join(failures)
