"""View documents as JSON text, as SQLite keeps them and the memory store holds them too, so a
document read back from either is the same (a datetime comes back as its string, a tuple as a
list)."""

from __future__ import annotations

import re

import orjson

from sipokat.events.store.base import Document, check_storable

# Documents as the stdlib's `json.dumps(doc, default=str)` wrote them (datetimes and dataclasses
# through `str`), ten times faster: view writes are most of a consumer's JSON work.
_DOC_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


# An integer beyond int64 needs 19 digits or more: only a document whose text holds a run of
# them (a large number, or a string of digits) is walked for one.
_LONG_DIGITS = re.compile(r"\d{19}")


def encode_document(doc: Document) -> str:
    """`doc` as JSON text; `UnstorableValue` for an integer beyond 64 bits."""
    try:
        text = orjson.dumps(doc, default=str, option=_DOC_OPTIONS).decode()
    except orjson.JSONEncodeError:
        check_storable(doc)  # beyond 64 bits, orjson refuses: say so as the contract does
        raise
    if _LONG_DIGITS.search(text):
        # orjson writes up to 2^64 - 1, and json_extract reads what is past 2^63 as a float.
        check_storable(doc)
    return text


decode_document = orjson.loads
