"""The role x operation x jurisdiction matrix (security/matrix.py) against the real platform:
every caller on every authenticated operation, on each service's own port and through the
gateway, on real objects; and no 2xx answer carries an object the caller may not see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from security.api import Answer, all_operations, in_parallel, send
from security.conftest import RealWorld, poll
from security.matrix import (
    COVER,
    DOC,
    EVERYONE,
    PUBLIC,
    ROWS,
    SUBSCRIPTION_OWNERS,
    Row,
    document_with_matrix,
    markdown,
    rows_of,
)
from security.principals import CALLERS, Caller
from security.test_tokens import routes

from harness import Platform

pytestmark = [pytest.mark.e2e, pytest.mark.broker]


def test_the_matrix_has_a_row_for_every_authenticated_operation(secured: Platform) -> None:
    for service, listed in all_operations(secured).items():
        authenticated = set(listed) - PUBLIC[service]
        rows = set(rows_of(service))
        assert not authenticated - rows, f"{service}: operations without a matrix row"
        assert not rows - authenticated, f"{service}: rows for operations it does not have"
    assert all(set(row.expect) == set(EVERYONE) for row in ROWS)


def test_docs_security_md_shows_this_matrix() -> None:
    text = DOC.read_text()
    assert document_with_matrix(text) == text and markdown() in text, (
        "docs/security.md drifted from tests/security/matrix.py: "
        "run `python3 -m uv run python tests/security/matrix.py`"
    )


def _settle(world: RealWorld, base: str) -> dict[str, Callable[[], None]]:
    """What to wait for or tidy after a row, so the next row meets the same world."""
    admin = {c.name: c for c in CALLERS}["admin"].headers()

    def rebuilt(service: str) -> Callable[[], None]:
        def settle() -> None:
            def done() -> bool:
                answer = httpx.get(f"{base}/v1/{service}/rebuild", headers=admin, timeout=10)
                status = answer.json().get("status") if answer.status_code == 200 else None
                return status is not None and status["state"] == "done"

            poll(done, f"the {service} rebuild to end")

        return settle

    return {
        "POST /v1/analytics/rebuild": rebuilt("analytics"),
        "POST /v1/notifications/rebuild": rebuilt("notifications"),
        "POST /v1/webhooks/subscriptions": world.forget_subscriptions,
        "DELETE /v1/webhooks/subscriptions/{subscription_id}": world.forget_subscriptions,
    }


def _leak(world: RealWorld, caller: Caller, answer: Answer) -> str | None:
    """A 2xx answer naming the report or the subscription to someone who may not see it."""
    if not 200 <= answer.status < 300:
        return None
    if caller.name not in COVER and world.report_id in answer.text:
        return "the report"
    if caller.name not in SUBSCRIPTION_OWNERS and world.subscription_id in answer.text:
        return "the subscription"
    return None


def test_every_role_in_and_outside_its_jurisdiction(secured: Platform, world: RealWorld) -> None:
    failures: list[str] = []
    seen: dict[tuple[str, str], dict[str, int]] = {}
    with httpx.Client(timeout=30) as client:
        for row in ROWS:
            for how, base in routes(secured, row.service, row.path):

                def cell(caller: Caller, row: Row = row, base: str = base) -> tuple[str, Answer]:
                    call = row.call(world)
                    extra: dict[str, Any] = {
                        k: v
                        for k, v in (
                            ("json", call.json),
                            ("params", call.params),
                            ("content", call.content),
                        )
                        if v is not None
                    }
                    if call.files is not None:
                        extra["files"] = call.files
                    answer = send(
                        client, row.method, base + call.path, headers=caller.headers(), **extra
                    )
                    return caller.name, answer

                answers = dict(in_parallel(cell, CALLERS))
                seen[(row.operation, how)] = {name: a.status for name, a in answers.items()}
                for caller in CALLERS:
                    answer = answers[caller.name]
                    if answer.status != row.expect[caller.name]:
                        failures.append(
                            f"{row.operation} ({how}) as {caller.name}: {answer.status}, "
                            f"expected {row.expect[caller.name]}: {answer.text[:160]}"
                        )
                    if leaked := _leak(world, caller, answer):
                        failures.append(f"{row.operation} ({how}) shows {caller.name} {leaked}")
                if settle := _settle(world, base).get(row.operation):
                    settle()
    print_matrix(seen)
    assert not failures, f"{len(failures)} cells wrong:\n" + "\n".join(failures)


def test_an_object_that_does_not_exist_answers_as_one_not_yours(
    secured: Platform, world: RealWorld
) -> None:
    """Existence does not leak: for every operation on one object, the answer for an object that
    does not exist is the answer for one the caller may not see (403 for a role that may never
    do this, whatever the id; 404 otherwise), directly and through the gateway."""
    failures: list[str] = []
    with httpx.Client(timeout=30) as client:
        for row in ROWS:
            if row.missing is None:
                continue
            call = row.missing(world)
            extra: dict[str, Any] = {
                k: v for k, v in (("json", call.json), ("params", call.params)) if v is not None
            }
            expect = row.expect_missing()
            for how, base in routes(secured, row.service, row.path):
                url = base + call.path

                def cell(
                    caller: Caller, method: str = row.method, url: str = url, extra: Any = extra
                ) -> tuple[str, Answer]:
                    return caller.name, send(client, method, url, headers=caller.headers(), **extra)

                for name, answer in in_parallel(cell, CALLERS):
                    if answer.status != expect[name]:
                        failures.append(
                            f"{row.operation} ({how}) on a missing object as {name}: "
                            f"{answer.status}, expected {expect[name]}: {answer.text[:160]}"
                        )
    assert not failures, f"{len(failures)} cells wrong:\n" + "\n".join(failures)


def print_matrix(seen: dict[tuple[str, str], dict[str, int]]) -> None:
    """The statuses observed (pytest -s shows them)."""
    width = max(len(f"{op} ({how})") for op, how in seen)
    print("\n" + " " * width + " " + " ".join(f"{name[:7]:>7}" for name in EVERYONE))
    for (operation, how), statuses in seen.items():
        cells = " ".join(f"{statuses[name]:>7}" for name in EVERYONE)
        print(f"{f'{operation} ({how})':<{width}} {cells}")
