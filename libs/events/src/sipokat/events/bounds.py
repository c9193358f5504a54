"""The bounds of every value the contract carries: what every store backend and reader can hold.

The event catalogue, the envelope, the token's principal and the services' request models take
their text, code and amount types from here, so a bound is stated once and the JSON Schemas,
the AsyncAPI and OpenAPI documents and every 422 agree with it (docs/decisions.md, "Bounds").

Patterns are written for both regex engines in play: pydantic checks them with Rust's `regex`,
whose `$` is the end of the text, and the JSON Schemas carry them to ECMA-262 readers. Code
patterns say `[0-9]`, never `\\d`: in Python's `re` and in Rust's `regex` alike `\\d` takes any
Unicode decimal digit ("١٦" is two digits). Python code matches codes with `fullmatch` on the
unanchored forms below, since Python's `$` also matches before a trailing newline.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import Field, StringConstraints

# Rp 1 triliun, about a whole city's yearly budget: no RT's project comes near it (PRODAMAS
# gives Rp 50-100 juta a year), yet it is far inside int64 (9.2e18, SQLite and BSON integers)
# and analytics' float sums stay exact up to 2^53 (9e15): thousands of reports at the ceiling.
MAX_RUPIAH: Final = 10**12

# No C0 control character (U+0000-U+001F) at all: one line, as titles, names and codes are.
SINGLE_LINE: Final = r"^[^\x00-\x1f]*$"
# Free text that may run over lines: newline and tab, no other C0 character (no CR either:
# clients send "\n"; a lone CR breaks CSV readers and XML normalises it away).
MULTI_LINE: Final = r"^[^\x00-\x08\x0b-\x1f]*$"


def _text(min_length: int, max_length: int, pattern: str) -> StringConstraints:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern)


# ---------------------------------------------------------------- text

# A token's `sub` (and an actor's): the envelope has always held up to 200 characters.
Subject = Annotated[str, _text(1, 200, SINGLE_LINE)]
# A person's display name, as a token's `name` claim gives it.
PersonName = Annotated[str, _text(1, 200, SINGLE_LINE)]
# A kota, kecamatan or kelurahan name from the directory ("Lubuklinggau Barat I").
AreaName = Annotated[str, _text(1, 100, SINGLE_LINE)]
Title = Annotated[str, _text(3, 200, SINGLE_LINE)]
Description = Annotated[str, _text(1, 5000, MULTI_LINE)]
Programme = Annotated[str, _text(1, 200, SINGLE_LINE)]
# A verifier's note: a rejection needs one, an approval may carry one.
Note = Annotated[str, _text(1, 2000, MULTI_LINE)]
OptionalNote = Annotated[str, _text(0, 2000, MULTI_LINE)]
# Envelope bookkeeping: stream ids, service names, correlation ids.
Token = Annotated[str, _text(1, 200, SINGLE_LINE)]
ServiceName = Annotated[str, _text(1, 60, SINGLE_LINE)]

# ---------------------------------------------------------------- wilayah codes

# Kemendagri codes: kota 16.73, kecamatan 16.73.02, kelurahan 16.73.02.1019; an RT is its
# kelurahan's code and a three-digit number, 16.73.02.1019/007. Unanchored: see the docstring.
KOTA_CODE: Final = r"[0-9]{2}\.[0-9]{2}"
KECAMATAN_CODE: Final = KOTA_CODE + r"\.[0-9]{2}"
KELURAHAN_CODE: Final = KECAMATAN_CODE + r"\.[0-9]{4}"
RT_CODE: Final = KELURAHAN_CODE + r"/[0-9]{3}"
AREA_CODE: Final = f"{KOTA_CODE}(?:\\.[0-9]{{2}}(?:\\.[0-9]{{4}}(?:/[0-9]{{3}})?)?)?"
# A month of the calendar, as queries name one: 2026-03.
MONTH: Final = r"[0-9]{4}-(0[1-9]|1[0-2])"

_LEVELS: Final = (
    ("rt", re.compile(RT_CODE)),
    ("kelurahan", re.compile(KELURAHAN_CODE)),
    ("kecamatan", re.compile(KECAMATAN_CODE)),
    ("kota", re.compile(KOTA_CODE)),
)


def anchored(pattern: str) -> str:
    return f"^{pattern}$"


def code_level(code: str) -> str | None:
    """`rt`, `kelurahan`, `kecamatan` or `kota` by the code's shape alone (ASCII digits, nothing
    before or after), None for anything else; whether the area exists is the directory's word."""
    for level, pattern in _LEVELS:
        if pattern.fullmatch(code):
            return level
    return None


# What a client is told about each pattern, in English and Indonesian, beside pydantic's own
# "String should match pattern …", which names a regular expression no person can read.
PATTERN_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    SINGLE_LINE: (
        "must be one line without control characters",
        "harus satu baris tanpa karakter kendali",
    ),
    MULTI_LINE: (
        "must not hold control characters other than newline and tab",
        "tidak boleh berisi karakter kendali selain baris baru dan tab",
    ),
    anchored(AREA_CODE): (
        "must be a wilayah code such as 16.73, 16.73.02, 16.73.02.1019 or 16.73.02.1019/007",
        "harus kode wilayah seperti 16.73, 16.73.02, 16.73.02.1019 atau 16.73.02.1019/007",
    ),
    anchored(MONTH): ("must be a month such as 2026-03", "harus bulan seperti 2026-03"),
}

KotaCode = Annotated[str, StringConstraints(pattern=anchored(KOTA_CODE))]
KecamatanCode = Annotated[str, StringConstraints(pattern=anchored(KECAMATAN_CODE))]
KelurahanCode = Annotated[str, StringConstraints(pattern=anchored(KELURAHAN_CODE))]
RTCode = Annotated[str, StringConstraints(pattern=anchored(RT_CODE))]
# Any level: a token's wilayah claim, an actor's area, a query's `wilayah`.
AreaCode = Annotated[str, StringConstraints(max_length=17, pattern=anchored(AREA_CODE))]
Month = Annotated[str, StringConstraints(pattern=anchored(MONTH))]

# ---------------------------------------------------------------- amounts

Rupiah = Annotated[int, Field(ge=0, le=MAX_RUPIAH)]
