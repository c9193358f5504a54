"""Pure parts around the domain: language negotiation, messages, idempotency decisions."""

from __future__ import annotations

import pytest

from sipokat.intake.adapters.idempotency import Decision, InvalidKey, decide, fingerprint, parse_key
from sipokat.runtime.messages import negotiate, title, validation_message


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("id", "id"),
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("en-US,en;q=0.9,id;q=0.5", "en"),
        ("fr, id;q=0.3", "id"),
        ("in", "id"),
        ("de", "en"),
        ("id;q=0", "en"),
        ("id;q=bogus", "en"),
    ],
)
def test_accept_language_picks_english_or_indonesian(header: str | None, language: str) -> None:
    assert negotiate(header) == language


def test_titles_and_pydantic_messages_are_translated() -> None:
    assert title("Invalid report", "id") == "Laporan tidak valid"
    assert title("Invalid report", "en") == "Invalid report"
    too_short = {
        "type": "string_too_short",
        "msg": "String should have at least 3 characters",
        "ctx": {"min_length": 3},
    }
    assert validation_message(too_short, "id") == "minimal 3 karakter"
    assert validation_message(too_short, "en") == "String should have at least 3 characters"
    fund = {
        "type": "value_error",
        "msg": "Value error, a progres_dana report needs `fund`",
        "ctx": {"error": ValueError("a progres_dana report needs `fund`")},
    }
    assert validation_message(fund, "id") == "laporan progres_dana wajib berisi `fund`"
    unknown = {"type": "some_new_type", "msg": "whatever pydantic says"}
    assert validation_message(unknown, "id") == "whatever pydantic says"


def test_an_idempotency_key_is_a_structured_string_or_a_bare_token() -> None:
    assert parse_key('"abc-123"') == "abc-123"
    assert parse_key("abc-123") == "abc-123"
    for bad in ("", "with space", "x" * 256, "é"):
        with pytest.raises(InvalidKey):
            parse_key(bad)


NOW = 1_000_000.0


def doc(
    state: str, fp: str = "fp", lease_until: float = NOW + 30, expires_at: float = NOW + 60
) -> dict[str, object]:
    return {"state": state, "fingerprint": fp, "lease_until": lease_until, "expires_at": expires_at}


@pytest.mark.parametrize(
    ("stored", "decision"),
    [
        (None, Decision.PROCEED),
        (doc("done"), Decision.REPLAY),
        (doc("done", fp="other"), Decision.MISMATCH),
        (doc("in_flight"), Decision.IN_FLIGHT),
        (doc("in_flight", fp="other"), Decision.MISMATCH),
        (doc("in_flight", lease_until=NOW - 1), Decision.PROCEED),  # abandoned by a dead process
        (doc("done", expires_at=NOW), Decision.PROCEED),  # kept long enough
    ],
)
def test_idempotency_decisions(stored: dict[str, object] | None, decision: Decision) -> None:
    assert decide(stored, "fp", NOW) is decision


def test_fingerprints_separate_their_parts() -> None:
    assert fingerprint("ab", "c") != fingerprint("a", "bc")
