"""Which area a query is about, which areas a leader may see, and the period asked for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sipokat.events.bounds import MONTH
from sipokat.events.envelope import Role
from sipokat.wilayah import City, Directory, UnknownWilayah, code_level

# The area each leader answers for, as the token's wilayah claim names it.
_LEADER_LEVEL = {Role.PEMKOT: "kota", Role.CAMAT: "kecamatan", Role.LURAH: "kelurahan"}


class BadArea(ValueError):
    pass


@dataclass(frozen=True)
class Area:
    """A kota, kecamatan, kelurahan or RT; `level` None means every area there is."""

    level: str | None = None
    code: str | None = None

    def contains(self, other: Area) -> bool:
        if self.code is None:
            return True
        return other.code is not None and (
            other.code == self.code
            or other.code.startswith(self.code + ".")
            or other.code.startswith(self.code + "/")
        )

    def below(self) -> dict[str, str]:
        """The `find` filter for documents of areas inside this one (at a deeper level)."""
        return {f"{self.level}_code": self.code} if self.level and self.code else {}

    def itself(self) -> dict[str, str]:
        """The `find` filter for this area's own documents."""
        return {"code": self.code} if self.code else {}


def parse_area(code: str, directory: Directory) -> Area:
    """An area code the directory knows; `BadArea` otherwise."""
    level = code_level(code)
    if level is None:
        raise BadArea(
            f"{code!r} is not a wilayah code like 16.73, 16.73.02, 16.73.02.1019 or an RT"
        )
    try:
        {
            "rt": directory.rt_path,
            "kelurahan": directory.kelurahan,
            "kecamatan": directory.kecamatan,
            "kota": directory.city,
        }[level](code)
    except UnknownWilayah as exc:
        raise BadArea(str(exc)) from None
    return Area(level, code)


def jurisdiction(role: Role, wilayah: str | None) -> Area | None:
    """The area a leader may see: admin everything, pemkot their kota, camat their kecamatan,
    lurah their kelurahan; None for any other role (or a leader's token without its area)."""
    if role is Role.ADMIN:
        return Area()
    level = _LEADER_LEVEL.get(role)
    if level is None or not wilayah:
        return None
    return Area(level, wilayah)


def rt_total(area: Area, directory: Directory) -> int:
    if area.level == "rt":
        return 1
    return directory.rt_total(area.code)


def areas_at(level: str, area: Area, directory: Directory) -> list[tuple[str, str]]:
    """(code, name) of every kecamatan or kelurahan inside `area`."""
    found = []
    for city in directory.cities:
        for kecamatan in city.kecamatan:
            if level == "kecamatan":
                found.append((kecamatan.code, kecamatan.name))
            else:
                found += [(k.code, k.name) for k in kecamatan.kelurahan]
    return [(code, name) for code, name in found if area.contains(Area(level, code))]


def cities_of(area: Area, directory: Directory) -> list[City]:
    """The cities the area lies in or covers: one for a leader, every city for the admin."""
    return [
        city
        for city in directory.cities
        if area.contains(Area("kota", city.code)) or Area("kota", city.code).contains(area)
    ]


def area_name(area: Area, directory: Directory) -> str | None:
    """The directory's name of a kota, kecamatan or kelurahan (None for every area)."""
    if area.code is None:
        return None
    if area.level == "rt":
        kelurahan, number = area.code.split("/")
        return f"RT {number} {directory.kelurahan(kelurahan).name}"
    lookup = {"kota": directory.city, "kecamatan": directory.kecamatan}
    return lookup.get(area.level or "", directory.kelurahan)(area.code).name


@dataclass(frozen=True)
class Period:
    """Months `first`..`last` inclusive (`YYYY-MM`); an open end reaches every month."""

    first: str | None = None
    last: str | None = None

    def covers(self, month: str) -> bool:
        return (self.first is None or month >= self.first) and (
            self.last is None or month <= self.last
        )


def parse_period(first: str | None, last: str | None) -> Period:
    for name, value in (("from", first), ("to", last)):
        if value is not None and not re.fullmatch(MONTH, value):
            raise ValueError(f"`{name}` must be a month like 2026-03, not {value!r}")
    if first and last and first > last:
        raise ValueError(f"`from` ({first}) is after `to` ({last})")
    return Period(first, last)


def months_between(first: str, last: str) -> int:
    y1, m1 = map(int, first.split("-"))
    y2, m2 = map(int, last.split("-"))
    return (y2 - y1) * 12 + (m2 - m1) + 1
