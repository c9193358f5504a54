"""Lists kept month by month, so a page or a period reads a few months, not every report.

The view store finds by equality and orders by key, with no index on a document's fields and no
"start after this key" (`ViewStore.find`): a filter is a scan of its collection. The collection
is the one thing both backends find by an index (SQLite's primary key, MongoDB's
`(collection, key)`), so a list is kept as one collection per month, `<base>.<YYYY-MM>`, and the
months a base has are listed in `MONTHS`. A list's keys sort newest first *across* its months
too (a later month's keys are smaller), so reading the months newest first and each month in key
order gives one ordered list, and a page stops reading as soon as it is full.

Each month is read with its equality filter up to `SCAN_LIMIT` entries; what else a reader
filters on (a text) is judged in memory on those. A month that holds more matching entries than
that is cut: the list then ends at the last entry read there, marked incomplete, rather than
going on to older months past a gap.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sipokat.events.store.base import Document, ViewStore, ViewTransaction
from sipokat.verification.domain import WIB

MONTHS = "partition_months"  # key `<base>|<month>`: {"base", "axis", "month"}
KEY = "list_key"  # the field every partitioned entry keeps its key in
# The most matching entries read from one month of one list (see the module's docstring).
SCAN_LIMIT = 5000
_FAR = 10**17


class BadCursor(ValueError):
    pass


def newest_first(moment: datetime) -> str:
    """A key part that sorts later moments first: microseconds before a far future, padded."""
    utc = moment.astimezone(UTC)
    micros = (int(utc.replace(microsecond=0).timestamp()) * 1_000_000) + utc.microsecond
    return f"{_FAR - micros:017d}"


def moment_of(part: str) -> datetime:
    micros = _FAR - int(part)
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


def wib_month(moment: datetime) -> str:
    local = moment.astimezone(WIB)
    return f"{local.year:04d}-{local.month:02d}"


def day_first(day: str) -> str:
    """A key part that sorts later days (`YYYY-MM-DD`) first."""
    return f"{99_999_999 - int(day.replace('-', '')):08d}"


@dataclass(frozen=True)
class Axis:
    """What a list's months are the months of, and how a key tells its month."""

    name: str
    month_of_key: Callable[[str], str]


def _by_moment(key: str) -> str:
    return wib_month(moment_of(key.split("|")[0]))


def _by_day(key: str) -> str:
    day = str(99_999_999 - int(key.split("|")[0]))
    return f"{day[:4]}-{day[4:6]}"


SUBMITTED = Axis("submitted", _by_moment)  # keys `<newest_first(submitted)>|<report id>`
ACTIVITY = Axis("activity", _by_day)  # keys `<day_first(activity)>|<newest_first(sub.)>|<id>`
DECIDED = Axis("decided", _by_moment)  # keys `<newest_first(decided)>|<event id>`


def collection(base: str, month: str) -> str:
    return f"{base}.{month}"


async def put_entry(
    tx: ViewTransaction, axis: Axis, base: str, key: str, doc: Document
) -> tuple[str, str]:
    """Write an entry into its month (listing the month) and answer (collection, key), what
    deleting it later needs."""
    month = axis.month_of_key(key)
    name = collection(base, month)
    await tx.put(name, key, {**doc, KEY: key})
    await tx.put(MONTHS, f"{base}|{month}", {"base": base, "axis": axis.name, "month": month})
    return name, key


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, axis: Axis) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        axis.month_of_key(key)
    # ValueError covers bad base64, non-ASCII text, and a key whose first part is no number;
    # OverflowError and OSError a number no moment has.
    except (ValueError, OverflowError, OSError) as exc:
        raise BadCursor("not a cursor this service made") from exc
    if "|" not in key:
        raise BadCursor("not a cursor this service made")
    return key


@dataclass(frozen=True)
class Period:
    """Months `first`..`last` inclusive (`YYYY-MM`); an open end reaches every month."""

    first: str | None = None
    last: str | None = None

    def covers(self, month: str) -> bool:
        return (self.first is None or month >= self.first) and (
            self.last is None or month <= self.last
        )


@dataclass
class Scan:
    """One reading of a list: its entries in order, through `entries()`; `complete` is False
    once a month was cut at SCAN_LIMIT."""

    views: ViewStore
    axis: Axis
    bases: list[str] | None  # None: every base of the axis (an admin's every city)
    where: Mapping[str, Any]
    period: Period = field(default_factory=Period)
    after: str = ""
    keep: Callable[[Document], bool] = lambda _entry: True
    complete: bool = True

    async def months(self) -> list[tuple[str, list[str]]]:
        """(month, its bases), newest month first, within the period and up to the cursor."""
        wanted: dict[str, list[str]] = {}
        if self.bases is None:
            listed = await self.views.find(MONTHS, {"axis": self.axis.name}, limit=100_000)
        else:
            listed = []
            for base in self.bases:
                listed += await self.views.find(MONTHS, {"base": base}, limit=100_000)
        newest = self.axis.month_of_key(self.after) if self.after else None
        for entry in listed:
            month = entry["month"]
            if self.period.covers(month) and (newest is None or month <= newest):
                wanted.setdefault(month, []).append(entry["base"])
        return sorted(wanted.items(), reverse=True)

    async def entries(self) -> AsyncIterator[Document]:
        for month, bases in await self.months():
            found: list[Document] = []
            cut_at: str | None = None
            for base in bases:
                batch = await self.views.find(collection(base, month), self.where, limit=SCAN_LIMIT)
                if len(batch) == SCAN_LIMIT:
                    last = batch[-1][KEY]
                    cut_at = last if cut_at is None else min(cut_at, last)
                found += batch
            found.sort(key=lambda e: e[KEY])
            for entry in found:
                if cut_at is not None and entry[KEY] > cut_at:
                    break
                if entry[KEY] > self.after and self.keep(entry):
                    yield entry
            if cut_at is not None:
                self.complete = False
                return


async def page(scan: Scan, limit: int) -> tuple[list[Document], str | None]:
    """The first `limit` entries of the scan and the cursor of the next page (None at the end)."""
    taken: list[Document] = []
    async for entry in scan.entries():
        if len(taken) == limit:
            return taken, encode_cursor(taken[-1][KEY])
        taken.append(entry)
    return taken, None


def without(entry: Document, hidden: Iterable[str]) -> Document:
    names = set(hidden)
    return {name: value for name, value in entry.items() if name not in names}
