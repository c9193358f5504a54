"""Worklist cursors: anything a client sends is a cursor this service made or a 422, never a
crash (found by the OpenAPI fuzz: a non-ASCII cursor was a 500)."""

from __future__ import annotations

import pytest

from sipokat.verification.queries import BadCursor, decode_cursor, encode_cursor


@pytest.mark.parametrize("cursor", ["00»", "é", "%%%", "AAAA", "="])
def test_a_cursor_not_made_here_is_refused(cursor: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(cursor)


def test_a_cursor_made_here_round_trips() -> None:
    entry = {"due_key": "2026-03-19T17:00:00+00:00", "report_id": "r-1"}
    assert decode_cursor(encode_cursor(entry)) == "2026-03-19T17:00:00+00:00|r-1"
