"""The directory of areas: kota → kecamatan → kelurahan → RT.

The default data (Kota Lubuklinggau and Kota Kediri) ships with the package; another city's
directory loads from a file of the same shape.
"""

from sipokat.events.bounds import code_level
from sipokat.wilayah.directory import (
    City,
    Directory,
    FundProgramme,
    Kecamatan,
    Kelurahan,
    UnknownWilayah,
    configured_directory,
    load_default_directory,
    load_directory,
    rt_code,
    within,
)

__all__ = [
    "City",
    "Directory",
    "FundProgramme",
    "Kecamatan",
    "Kelurahan",
    "UnknownWilayah",
    "code_level",
    "configured_directory",
    "load_default_directory",
    "load_directory",
    "rt_code",
    "within",
]
