"""Which kelurahan the demo leaves to a person: its lurah decides nothing, so its reports wait
in the console's worklist. Pure: the directory's city in, a kelurahan (or none) out."""

from __future__ import annotations

import math

from sipokat.ops.demo.mix import ACTIVE_RT_SHARE, BUSY, KECAMATAN_LEAN, QUIET
from sipokat.wilayah import City, Kelurahan

NONE = "none"  # `--leave none`: the demo plays every lurah


class UnknownKelurahan(ValueError):
    """The text names no kelurahan of the city, or more than one."""


def expected_share(city: City) -> dict[str, float]:
    """Each kelurahan's expected reports, up to a common factor: its RTs, how many of them
    report at all and how busy they are (the mix's weights without their per-run noise)."""
    share: dict[str, float] = {}
    for kecamatan in city.kecamatan:
        lean = KECAMATAN_LEAN.get(kecamatan.name, 1.0)
        for kel in kecamatan.kelurahan:
            busy = lean * BUSY.get(kel.name, 1.0) * QUIET.get(kel.name, 1.0)
            chance = min(0.95, ACTIVE_RT_SHARE * math.sqrt(busy))
            share[kel.code] = kel.rt_count * chance * busy
    return share


def busiest(city: City) -> Kelurahan:
    """The kelurahan the demo sends most reports to (the same every run, whatever the seed, so
    the reports of several runs wait for one lurah); ties go to the lowest code."""
    share = expected_share(city)
    kelurahan = [kel for kec in city.kecamatan for kel in kec.kelurahan]
    return min(kelurahan, key=lambda kel: (-share[kel.code], kel.code))


def resolve(city: City, text: str) -> Kelurahan | None:
    """A kelurahan of the city by its code (`16.73.02.1019`) or its name, any case, when that
    name is the city's only one (`Pelita Jaya`); `none` for none."""
    wanted = " ".join(text.split()).casefold()
    if wanted == NONE:
        return None
    kelurahan = [kel for kec in city.kecamatan for kel in kec.kelurahan]
    by_code = [kel for kel in kelurahan if kel.code == wanted]
    by_name = [kel for kel in kelurahan if kel.name.casefold() == wanted]
    found = by_code or by_name
    if len(found) == 1:
        return found[0]
    if found:
        codes = ", ".join(f"{kel.code} ({kel.name})" for kel in found)
        raise UnknownKelurahan(f"{text!r} names several kelurahan of {city.name}: {codes}")
    near = [kel for kel in kelurahan if wanted and wanted in kel.name.casefold()][:5]
    hint = (
        "; did you mean " + ", ".join(f"{kel.code} ({kel.name})" for kel in near)
        if near
        else f"; e.g. {busiest(city).code} ({busiest(city).name})"
    )
    raise UnknownKelurahan(
        f"{text!r} is no kelurahan of {city.name} ({city.code}): give a kelurahan code or a "
        f"name of that city, or {NONE}{hint}"
    )
