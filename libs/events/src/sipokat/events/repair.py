"""Reading events stored before their fields were bounded (bounds.py).

Intake accepted them, so they are in event stores and the log for good, and a reader that
refused them would drop real reports from its views. What a reader can safely mend, it mends as
it parses: control characters become U+FFFD (line breaks in one-line fields a space, CR LF in
free text a newline), a code's Unicode digits their ASCII ones, a name past its bound is cut
there. Nothing else is guessed: an amount above the ceiling stays an error (the reader sets the
event aside). A current event never comes here (`Envelope.from_json` takes it on its fast path).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sipokat.events.bounds import MULTI_LINE, SINGLE_LINE

T = TypeVar("T")

_ROUNDS = 3  # a value can fail one bound, then another once mended (its length, then its text)
_C0 = re.compile(r"[\x00-\x1f]")
_C0_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f]")
_REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


def _one_line(text: str) -> str:
    text = re.sub(r"\r\n|[\r\n\t]", " ", text)
    return _C0.sub(_REPLACEMENT, text)


def _multi_line(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _C0_BUT_LINES.sub(_REPLACEMENT, text)


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text.strip())


def _mended(value: str, error: ErrorDetails) -> str | None:
    ctx = error.get("ctx") or {}
    if error["type"] == "string_too_long":
        return value[: int(ctx["max_length"])]
    if error["type"] != "string_pattern_mismatch":
        return None
    pattern = ctx.get("pattern")
    if pattern == SINGLE_LINE:
        return _one_line(value)
    if pattern == MULTI_LINE:
        return _multi_line(value)
    mended = _ascii_digits(value)  # a wilayah code
    return mended if re.search(str(pattern), mended) else None


def _mend(raw: Any, errors: list[ErrorDetails]) -> bool:
    """Mend each error's value in place; False (and `raw` half mended) when one cannot be."""
    for error in errors:
        if not error["loc"]:
            return False  # about the whole body (an unknown type, not an object)
        *parents, last = error["loc"]
        container = raw
        try:
            for part in parents:
                container = container[part]
            value = container[last]
        except (KeyError, IndexError, TypeError):
            return False  # the error is about something an upcaster made, not the stored body
        if not isinstance(value, str) or value != error["input"]:
            return False
        mended = _mended(value, error)
        if mended is None:
            return False
        container[last] = mended
    return True


def mend_stored(raw: Any, validate: Callable[[Any], T], errors: list[ErrorDetails]) -> T | None:
    """`validate(raw)` once the stored event's out-of-bounds values are mended; None when they
    cannot all be (the caller raises the original error)."""
    for _ in range(_ROUNDS):
        if not _mend(raw, errors):
            return None
        try:
            return validate(raw)
        except ValidationError as exc:
            errors = exc.errors()
    return None
