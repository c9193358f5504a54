"""CSV a spreadsheet opens safely: RFC 4180, UTF-8 with a BOM, no cell read as a formula.

Excel takes a UTF-8 file without a byte-order mark for Windows-1252 (names like "Pelita Jaya"
survive, "Sungai Lumpur — Timur" does not), so an export starts with one. A cell a person typed
(a title, a note) that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
spreadsheets skip before looking) would be run as a formula when opened: `=HYPERLINK(...)` in a
report title is CSV injection (OWASP). Such a cell is written with a leading apostrophe, which
the spreadsheet shows as text and hides. Identity's roster import refuses such names for the
same reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from urllib.parse import quote

from sipokat.runtime.messages import Language, negotiate

BOM = "\ufeff"
MEDIA_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | bool | None


def safe_cell(value: Cell) -> str:
    """The cell as text; a text that a spreadsheet would take for a formula gets an apostrophe
    before it. Numbers are written as they are (a negative number is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_line(cells: Sequence[Cell]) -> str:
    """One record, RFC 4180: quoted where needed (comma, quote, line break), CRLF at its end."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(c) for c in cells])
    return buffer.getvalue()


def csv_document(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A whole CSV document: the BOM, the header, the rows."""
    return BOM + csv_line(header) + "".join(csv_line(row) for row in rows)


async def csv_stream(
    header: Sequence[str], rows: AsyncIterable[Sequence[Cell]], *, per_chunk: int = 200
) -> AsyncIterator[bytes]:
    """The document as UTF-8 chunks of `per_chunk` records, for a StreamingResponse: a large
    export is never held whole."""
    chunk = [BOM + csv_line(header)]
    async for row in rows:
        chunk.append(csv_line(row))
        if len(chunk) >= per_chunk:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def attachment(filename: str) -> str:
    """A Content-Disposition naming the file (RFC 6266, with the UTF-8 form for other names)."""
    plain = "".join(
        c if c.isascii() and c not in '"\\' and c.isprintable() else "_" for c in filename
    )
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"


def wants_csv(accept: str | None) -> bool:
    """Whether an Accept header asks for CSV (by name, not by */*)."""
    return any(part.split(";")[0].strip() == "text/csv" for part in (accept or "").split(","))


def header_language(accept_language: str | None) -> Language:
    """Indonesian column headers unless the reader asks for English: an export is opened by
    people in the city office, while the API's messages default to English for developers."""
    asked = {
        part.split(";")[0].strip().lower().split("-")[0]
        for part in (accept_language or "").split(",")
    }
    if "en" in asked and negotiate(accept_language) == "en":
        return "en"
    return "id"
