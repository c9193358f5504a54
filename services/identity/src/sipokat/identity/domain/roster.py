"""The city's roster of RT heads as an admin sends it: a CSV of RT code, name and phone number
(optional email), read and checked row by row without I/O. Every bad row is reported with its
line number and why, so one dry run shows everything there is to fix.

What a spreadsheet writes is accepted: a byte order mark, Windows line endings, `;` as the
separator (Excel in an Indonesian locale, where `,` is the decimal mark) or a tab, UTF-8 or
else Windows-1252 text, Indonesian or English column names in any case and order, columns it
does not know (ignored, and named in the answer), blank lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any, Literal

from sipokat.identity.domain.people import LevelOf, normalize_email, normalize_phone
from sipokat.identity.domain.refusals import RULES, Refused

# A city has hundreds of RTs (Lubuklinggau 528, Kediri about 1,400); the largest Indonesian
# cities have some thousands. Beyond these bounds a file is not a roster.
MAX_ROWS = 20_000
NAME_MAX = 200  # PersonName's bound: the name goes into tokens and events

Column = Literal["rt", "name", "phone", "email"]
# The names a column goes by, folded (lower case, `_` and `-` as spaces).
COLUMN_NAMES: dict[str, Column] = {
    **dict.fromkeys(("rt", "kode rt", "rt code", "kode", "kode wilayah", "wilayah"), "rt"),
    **dict.fromkeys(("nama", "name", "nama ketua rt", "ketua rt"), "name"),
    **dict.fromkeys(
        ("telepon", "phone", "telp", "no hp", "nomor hp", "hp", "nomor telepon", "no telepon"),
        "phone",
    ),
    **dict.fromkeys(("email", "e mail", "surel"), "email"),
}
REQUIRED: tuple[Column, ...] = ("rt", "name", "phone")

# What a bad row (or file) says, by code: English and Indonesian, `{name}` from the params.
ROSTER_RULES: dict[str, tuple[str, str]] = {
    "empty": ("the file holds no roster", "berkas tidak berisi daftar"),
    "encoding": (
        "the file is not text (save it as CSV, UTF-8)",
        "berkas bukan teks (simpan sebagai CSV, UTF-8)",
    ),
    "header_missing": (
        "the first line must name the columns: rt, nama, telepon (or rt, name, phone); "
        "missing: {missing}",
        "baris pertama harus berisi nama kolom: rt, nama, telepon (atau rt, name, phone); "
        "tidak ada: {missing}",
    ),
    "header_repeated": (
        "the column {column!r} is named twice",
        "kolom {column!r} disebut dua kali",
    ),
    "columns": (
        "the row has {found} columns, the header {expected}",
        "baris ini punya {found} kolom, sedangkan header {expected}",
    ),
    "unreadable": (
        "the row cannot be read as CSV: {error}",
        "baris tidak terbaca sebagai CSV: {error}",
    ),
    "too_many_rows": (
        "a roster has at most {most} rows",
        "daftar paling banyak {most} baris",
    ),
    "rt_empty": ("the RT code is empty", "kode RT kosong"),
    "rt_unknown": (
        "RT {rt!r} is not in the directory",
        "RT {rt!r} tidak ada dalam direktori",
    ),
    "rt_not_rt": (
        "{rt!r} is a {level}, not an RT",
        "{rt!r} adalah {level}, bukan RT",
    ),
    "rt_repeated": (
        "RT {rt} has another head on line {other}: one person per RT",
        "RT {rt} sudah punya ketua lain di baris {other}: satu orang per RT",
    ),
    "name_empty": ("the name is empty", "nama kosong"),
    "name_too_long": (
        "the name is longer than {most} characters",
        "nama lebih dari {most} karakter",
    ),
    "name_invalid": (
        "the name holds a control character or starts with =, +, - or @",
        "nama berisi karakter kendali atau diawali =, +, - atau @",
    ),
    "phone_empty": ("the phone number is empty", "nomor telepon kosong"),
    "phone_repeated": (
        "the phone number is also on line {other}: one number per person",
        "nomor telepon ini juga ada di baris {other}: satu nomor per orang",
    ),
    # with the existing accounts (handlers/roster.py)
    "rt_held": (
        "RT {rt} is held by another account ({account}) since {since}: end that post first "
        "(POST /v1/accounts/{account}/posts/end)",
        "RT {rt} dipegang akun lain ({account}) sejak {since}: akhiri dulu jabatan itu "
        "(POST /v1/accounts/{account}/posts/end)",
    ),
    "phone_taken": (
        "the phone number belongs to an account ({account}) that does not hold RT {rt}",
        "nomor telepon ini milik akun ({account}) yang tidak memegang RT {rt}",
    ),
}


@dataclass(frozen=True)
class RowError:
    """What is wrong, where: `line` is the file's line (1 is the header), `field` the column
    (None: the whole row or file)."""

    line: int
    field: Column | None
    code: str
    params: dict[str, Any] = default(default_factory=dict)

    def message(self, language: Literal["en", "id"]) -> str:
        english, indonesian = ROSTER_RULES.get(self.code) or RULES[self.code]
        return (indonesian if language == "id" else english).format(**self.params)


@dataclass(frozen=True)
class RosterRow:
    line: int
    rt: str
    name: str
    phone: str  # E.164
    email: str | None


@dataclass(frozen=True)
class Roster:
    rows: list[RosterRow]
    errors: list[RowError]
    ignored_columns: list[str]
    lines: int  # data rows read (blank lines not counted)


class RosterTooLarge(ValueError):
    def __init__(self, most: int) -> None:
        super().__init__(f"more than {most} rows")
        self.most = most


def decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else Windows-1252: what Excel's plain
    "CSV" saves on an Indonesian Windows. Bytes that are neither are no roster."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise RosterUnreadable from None


class RosterUnreadable(ValueError):
    pass


def _fold(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


def _separator(first_line: str) -> str:
    # The header names hold none of these: the one it holds most of separates.
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def _records(text: str, separator: str) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Each record with the line it starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, error
            return  # the reader cannot go on past a broken quote
        yield line, record
        line = reader.line_num + 1


def parse_roster(data: bytes, level_of: LevelOf, *, max_rows: int = MAX_ROWS) -> Roster:
    """The rows of a roster and every problem in it. `RosterTooLarge` past `max_rows` rows."""
    try:
        text = decode(data)
    except RosterUnreadable:
        return Roster([], [RowError(1, None, "encoding")], [], 0)
    if "\x00" in text:
        return Roster([], [RowError(1, None, "encoding")], [], 0)
    if not text.strip():
        return Roster([], [RowError(1, None, "empty")], [], 0)
    records = _records(text, _separator(text.lstrip().split("\n", 1)[0]))
    header: list[str] | None = None
    header_line = 1
    for header_line, first in records:
        if isinstance(first, csv.Error):
            return Roster(
                [], [RowError(header_line, None, "unreadable", {"error": str(first)})], [], 0
            )
        if any(cell.strip() for cell in first):
            header = first
            break
    if header is None:
        return Roster([], [RowError(1, None, "empty")], [], 0)

    columns: list[Column | None] = []
    errors: list[RowError] = []
    ignored: list[str] = []
    for name in header:
        column = COLUMN_NAMES.get(_fold(name))
        if column is not None and column in columns:
            errors.append(RowError(header_line, None, "header_repeated", {"column": name.strip()}))
        if column is None and name.strip():
            ignored.append(name.strip())
        columns.append(column)
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        errors.append(
            RowError(header_line, None, "header_missing", {"missing": ", ".join(missing)})
        )
    if errors:
        return Roster([], errors, ignored, 0)

    rows: list[RosterRow] = []
    first_of_rt: dict[str, int] = {}
    first_of_phone: dict[str, int] = {}
    count = 0
    for line, record in records:
        if isinstance(record, csv.Error):
            errors.append(RowError(line, None, "unreadable", {"error": str(record)}))
            break
        if not any(cell.strip() for cell in record):
            continue  # a blank line, or a row of empty cells a spreadsheet left behind
        count += 1
        if count > max_rows:
            raise RosterTooLarge(max_rows)
        if len(record) != len(columns):
            errors.append(
                RowError(line, None, "columns", {"found": len(record), "expected": len(columns)})
            )
            continue
        cells = {column: cell for column, cell in zip(columns, record, strict=True) if column}
        row = _row(line, cells, level_of)
        # A repeated RT or number is told even on a row with other faults: one dry run, all.
        if row.rt and (other := first_of_rt.setdefault(row.rt, line)) != line:
            row.errors.append(RowError(line, "rt", "rt_repeated", {"rt": row.rt, "other": other}))
        if row.phone and (other := first_of_phone.setdefault(row.phone, line)) != line:
            row.errors.append(RowError(line, "phone", "phone_repeated", {"other": other}))
        if row.errors or row.rt is None or row.phone is None:
            errors += row.errors
        else:
            rows.append(RosterRow(line, row.rt, row.name, row.phone, row.email))
    return Roster(rows, errors, ignored, count)


@dataclass
class _Checked:
    rt: str | None = None  # each field None when it is wrong
    name: str = ""
    phone: str | None = None
    email: str | None = None
    errors: list[RowError] = default(default_factory=list)


# A cell starting with one of these is a formula to a spreadsheet: no name starts so, and the
# name goes back into the file of codes an admin opens in one.
_FORMULA = ("=", "+", "-", "@")


def _row(line: int, cells: dict[Column, str], level_of: LevelOf) -> _Checked:
    row = _Checked()
    rt = "".join(cells["rt"].split())  # "16.73.02.1019 / 007" as typed
    if not rt:
        row.errors.append(RowError(line, "rt", "rt_empty"))
    elif (level := level_of(rt)) is None:
        row.errors.append(RowError(line, "rt", "rt_unknown", {"rt": rt}))
    elif level != "rt":
        row.errors.append(RowError(line, "rt", "rt_not_rt", {"rt": rt, "level": level}))
    else:
        row.rt = rt
    row.name = " ".join(cells["name"].split())
    if not row.name:
        row.errors.append(RowError(line, "name", "name_empty"))
    elif len(row.name) > NAME_MAX:
        row.errors.append(RowError(line, "name", "name_too_long", {"most": NAME_MAX}))
    elif not row.name.isprintable() or row.name.startswith(_FORMULA):
        row.errors.append(RowError(line, "name", "name_invalid"))
    raw_phone = cells["phone"].strip()
    if not raw_phone:
        row.errors.append(RowError(line, "phone", "phone_empty"))
    else:
        try:
            row.phone = normalize_phone(raw_phone)
        except Refused as refused:
            row.errors.append(RowError(line, "phone", refused.code, refused.params))
    if raw_email := cells.get("email", "").strip():
        try:
            row.email = normalize_email(raw_email)
        except Refused as refused:
            row.errors.append(RowError(line, "email", refused.code, refused.params))
    return row
