"""Loading and looking up the directory of areas."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from sipokat.events.bounds import (
    AreaName,
    KecamatanCode,
    KelurahanCode,
    KotaCode,
    Programme,
    code_level,
)
from sipokat.events.catalogue import WilayahPath


class UnknownWilayah(LookupError):
    pass


class _Area(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # Bounded as the events that carry them (bounds.py): a directory file cannot bring in an
    # area no event could name.
    code: str
    name: AreaName


class Kelurahan(_Area):
    code: KelurahanCode
    rt_count: int = Field(ge=0, le=999)  # RT numbers have three digits

    def rt_codes(self) -> list[str]:
        return [rt_code(self.code, number) for number in range(1, self.rt_count + 1)]


class Kecamatan(_Area):
    code: KecamatanCode
    kelurahan: list[Kelurahan]


class FundProgramme(BaseModel):
    """A community fund a city runs for its RTs (Kediri's PRODAMAS): only its RT heads report
    the progress of funded projects (`progres_dana`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    name: Programme


class City(_Area):
    code: KotaCode
    kecamatan: list[Kecamatan]
    fund_programme: FundProgramme | None = None


class _DirectoryFile(BaseModel):
    cities: list[City]


def rt_code(kelurahan_code: str, number: int) -> str:
    """`16.73.02.1019/007`: the kelurahan code and the RT number in three digits."""
    return f"{kelurahan_code}/{number:03d}"


def within(code: str, area_code: str) -> bool:
    """Whether the area `code` lies in the area `area_code` or is it: codes are hierarchical
    (`16.73` ⊃ `16.73.02` ⊃ `16.73.02.1019` ⊃ `16.73.02.1019/007`), so by their shape alone,
    without the directory (whether either exists is the directory's word)."""
    return code == area_code or code.startswith((area_code + ".", area_code + "/"))


class Directory:
    def __init__(self, cities: list[City]) -> None:
        self.cities = cities
        self._city: dict[str, City] = {c.code: c for c in cities}
        self._kecamatan: dict[str, tuple[City, Kecamatan]] = {}
        self._kelurahan: dict[str, tuple[City, Kecamatan, Kelurahan]] = {}
        for city in cities:
            for kecamatan in city.kecamatan:
                self._kecamatan[kecamatan.code] = (city, kecamatan)
                for kelurahan in kecamatan.kelurahan:
                    self._kelurahan[kelurahan.code] = (city, kecamatan, kelurahan)
        # Paths are immutable and asked for on every submission: each is built once.
        self._rt_paths: dict[str, WilayahPath] = {}

    def city(self, code: str) -> City:
        try:
            return self._city[code]
        except KeyError:
            raise UnknownWilayah(f"no kota {code!r}") from None

    def kecamatan(self, code: str) -> Kecamatan:
        try:
            return self._kecamatan[code][1]
        except KeyError:
            raise UnknownWilayah(f"no kecamatan {code!r}") from None

    def kelurahan(self, code: str) -> Kelurahan:
        try:
            return self._kelurahan[code][2]
        except KeyError:
            raise UnknownWilayah(f"no kelurahan {code!r}") from None

    def rt_path(self, code: str) -> WilayahPath:
        """The full path of an RT; `UnknownWilayah` unless the RT exists in the directory."""
        path = self._rt_paths.get(code)
        if path is None:
            path = self._rt_paths[code] = self._build_rt_path(code)
        return path

    def _build_rt_path(self, code: str) -> WilayahPath:
        if code_level(code) != "rt":
            raise UnknownWilayah(f"{code!r} is not an RT code like 16.73.02.1019/007")
        kelurahan_code, rt = code.split("/")
        found = self._kelurahan.get(kelurahan_code)
        if found is None:
            raise UnknownWilayah(f"no kelurahan {kelurahan_code!r}")
        city, kecamatan, kelurahan = found
        number = int(rt)
        if not 1 <= number <= kelurahan.rt_count:
            raise UnknownWilayah(
                f"kelurahan {kelurahan.name} has RT 001 to {kelurahan.rt_count:03d}, "
                f"not {number:03d}"
            )
        return WilayahPath(
            kota_code=city.code,
            kota_name=city.name,
            kecamatan_code=kecamatan.code,
            kecamatan_name=kecamatan.name,
            kelurahan_code=kelurahan.code,
            kelurahan_name=kelurahan.name,
            rt_code=code,
        )

    def level_of(self, code: str) -> str | None:
        """`rt`, `kelurahan`, `kecamatan` or `kota` for a code of the directory, else None."""
        if code in self._kelurahan:
            return "kelurahan"
        if code in self._kecamatan:
            return "kecamatan"
        if code in self._city:
            return "kota"
        try:
            self.rt_path(code)
        except UnknownWilayah:
            return None
        return "rt"

    def contains(self, area_code: str, rt: str) -> bool:
        """Whether the RT lies in the area (a kota, kecamatan, kelurahan or the RT itself)."""
        return within(rt, area_code)

    def rt_total(self, area_code: str | None = None) -> int:
        return sum(
            kelurahan.rt_count
            for code, (_, _, kelurahan) in self._kelurahan.items()
            if area_code is None or code == area_code or code.startswith(area_code + ".")
        )


def load_directory(path: str | Path) -> Directory:
    return Directory(_DirectoryFile.model_validate_json(Path(path).read_text()).cities)


@cache
def load_default_directory() -> Directory:
    data = resources.files("sipokat.wilayah").joinpath("data/wilayah.json").read_text()
    return Directory(_DirectoryFile.model_validate_json(data).cities)


def configured_directory(path: str | Path | None) -> Directory:
    """The directory a deployment names (`SIPOKAT_WILAYAH_FILE`), else the shipped one."""
    return load_directory(path) if path else load_default_directory()
