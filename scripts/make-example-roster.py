"""Writes examples/roster-lubuklinggau.csv: one made-up RT head for every RT of Lubuklinggau in
the wilayah directory, with plausible Indonesian names and valid (invented) mobile numbers.

Deterministic (seeded): running it again writes the same file.

    python3 -m uv run python scripts/make-example-roster.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from sipokat.wilayah import load_default_directory

KOTA = "16.73"  # Lubuklinggau
OUT = Path(__file__).resolve().parents[1] / "examples" / "roster-lubuklinggau.csv"
SEED = 1673

# Given names and family or second names common in South Sumatra and across Indonesia.
FIRST = [
    "Ahmad",
    "Agus",
    "Andi",
    "Anwar",
    "Arif",
    "Bambang",
    "Budi",
    "Dedi",
    "Dodi",
    "Eko",
    "Fajar",
    "Hadi",
    "Hendra",
    "Herman",
    "Iwan",
    "Joko",
    "Kurniawan",
    "Lukman",
    "Mulyadi",
    "Nurdin",
    "Rahmat",
    "Rudi",
    "Samsul",
    "Slamet",
    "Sudirman",
    "Suryadi",
    "Syahrial",
    "Taufik",
    "Wahyu",
    "Yusuf",
    "Zainal",
    "Aminah",
    "Dewi",
    "Fitri",
    "Hartini",
    "Indah",
    "Lestari",
    "Marlina",
    "Nurhayati",
    "Rina",
    "Rosmala",
    "Siti",
    "Sri",
    "Suryani",
    "Wati",
    "Yanti",
    "Yuliana",
    "Erna",
    "Halimah",
]
LAST = [
    "Saputra",
    "Pratama",
    "Hidayat",
    "Santoso",
    "Gunawan",
    "Siregar",
    "Nasution",
    "Harahap",
    "Lubis",
    "Wijaya",
    "Setiawan",
    "Kurniawan",
    "Hasibuan",
    "Rahman",
    "Syahputra",
    "Firmansyah",
    "Susanto",
    "Ramadhan",
    "Hakim",
    "Effendi",
    "Yusuf",
    "Hamzah",
    "Suganda",
    "Maulana",
    "Sembiring",
    "Wibowo",
    "Utami",
    "Sari",
    "Purnama",
    "Anggraini",
]


def main() -> None:
    directory = load_default_directory()
    rng = random.Random(SEED)
    numbers = rng.sample(range(10_000_000), directory.rt_total(KOTA))
    rows = []
    city = directory.city(KOTA)
    rts = [
        rt
        for kecamatan in city.kecamatan
        for kelurahan in kecamatan.kelurahan
        for rt in kelurahan.rt_codes()
    ]
    for rt, number in zip(rts, numbers, strict=True):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        while last == first:
            last = rng.choice(LAST)
        name = f"{first} {last}"
        # 0812-7xxx-xxxx: a Telkomsel mobile range; the numbers are invented.
        digits = f"7{number:07d}"
        rows.append((rt, name, f"0812-{digits[:4]}-{digits[4:]}"))
    with OUT.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("rt", "nama", "telepon"))
        writer.writerows(rows)
    print(f"{len(rows)} RT heads (made up) -> {OUT}")


if __name__ == "__main__":
    main()
