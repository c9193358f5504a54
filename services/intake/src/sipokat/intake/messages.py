"""What intake says to people, in English and Indonesian, chosen by Accept-Language.

English is the default: it is what the other services answer and what an API client gets when
it asks for nothing. A phone app set to Indonesian sends `Accept-Language: id` and gets every
title and field message of intake's own checks in Indonesian.
"""

from __future__ import annotations

from typing import Any, Literal

Language = Literal["en", "id"]
DEFAULT_LANGUAGE: Language = "en"


def negotiate(accept_language: str | None) -> Language:
    """The best of en/id for an Accept-Language header (RFC 9110 §12.5.4), by q-value."""
    best: tuple[float, Language] = (0.0, DEFAULT_LANGUAGE)
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("en", "id", "in"):  # "in" is the retired code for Indonesian
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language: Language = "en" if primary == "en" else "id"
        if quality > best[0]:
            best = (quality, language)
    return best[1]


# Problem titles, by the English title every Problem is raised with.
TITLES_ID = {
    "Invalid report": "Laporan tidak valid",
    "Invalid request": "Permintaan tidak valid",
    "Malformed JSON": "JSON rusak",
    "Forbidden": "Akses ditolak",
    "Unauthorized": "Tidak terautentikasi",
    "Not found": "Tidak ditemukan",
    "Method not allowed": "Metode tidak diizinkan",
    "Conflict": "Konflik",
    "Not awaiting revision": "Laporan tidak menunggu perbaikan",
    "Invalid photo": "Foto tidak valid",
    "Photo too large": "Foto terlalu besar",
    "Unsupported media type": "Jenis berkas tidak didukung",
    "Content too large": "Isi permintaan terlalu besar",
    "Too many requests": "Terlalu banyak permintaan",
    "Idempotency key reused": "Idempotency-Key dipakai ulang",
    "Request in progress": "Permintaan sedang diproses",
    "Bad gateway": "Gateway gagal",
    "Gateway timeout": "Gateway kehabisan waktu",
    "Page too large": "Halaman terlalu besar",
}


def title(english: str, language: Language) -> str:
    return TITLES_ID.get(english, english) if language == "id" else english


# Intake's own rule messages, by code: (English, Indonesian), formatted with the rule's params.
RULES: dict[str, tuple[str, str]] = {
    "date_in_future": (
        "the activity date lies in the future",
        "tanggal kegiatan tidak boleh di masa depan",
    ),
    "date_too_old": (
        "the activity date is older than {window_days} days",
        "tanggal kegiatan lebih lama dari {window_days} hari",
    ),
    "location_outside_city": (
        "the location lies outside {city}",
        "lokasi berada di luar {city}",
    ),
    "photo_unknown": (
        "no photo {sha256} was uploaded by RT {rt}; upload it to /v1/attachments first",
        "foto {sha256} belum diunggah oleh RT {rt}; unggah dulu ke /v1/attachments",
    ),
    "photo_type_mismatch": (
        "photo {sha256} is stored as {stored}, not {given}",
        "foto {sha256} tersimpan sebagai {stored}, bukan {given}",
    ),
    "rt_unknown": (
        "the token's RT is not in the directory: {reason}",
        "RT pada token tidak ada di direktori wilayah: {reason}",
    ),
}


def rule(code: str, language: Language, params: dict[str, Any]) -> str:
    english, indonesian = RULES[code]
    return (indonesian if language == "id" else english).format(**params)


# Why a photo is refused (images.PhotoRefused), by message key: (English, Indonesian).
PHOTOS: dict[str, tuple[str, str]] = {
    "not_an_image": (
        "the file is not a JPEG, PNG or WebP image",
        "berkas ini bukan gambar JPEG, PNG, atau WebP",
    ),
    "too_many_pixels": (
        "the image has {width}x{height} pixels; at most {max_pixels} are accepted",
        "gambar berukuran {width}x{height} piksel; paling banyak {max_pixels} piksel diterima",
    ),
    "bomb": (
        "the image has more than {max_pixels} pixels",
        "gambar memiliki lebih dari {max_pixels} piksel",
    ),
    "broken_image": (
        "the image cannot be read: its data is broken or cut off, or its metadata is too large",
        "gambar tidak dapat dibaca: datanya rusak atau terpotong, atau metadatanya terlalu besar",
    ),
}


def photo(key: str, language: Language, params: dict[str, Any]) -> str:
    english, indonesian = PHOTOS[key]
    return (indonesian if language == "id" else english).format(**params)


# pydantic's error types, in Indonesian; the English is pydantic's own message.
VALIDATION_ID: dict[str, str] = {
    "missing": "wajib diisi",
    "extra_forbidden": "kolom ini tidak boleh dikirim",
    "string_type": "harus berupa teks",
    "string_too_short": "minimal {min_length} karakter",
    "string_too_long": "maksimal {max_length} karakter",
    "string_pattern_mismatch": "format tidak sesuai",
    "int_type": "harus berupa bilangan bulat",
    "int_parsing": "harus berupa bilangan bulat",
    "int_from_float": "harus berupa bilangan bulat",
    "float_type": "harus berupa angka",
    "float_parsing": "harus berupa angka",
    "bool_type": "harus berupa true atau false",
    "greater_than_equal": "harus lebih besar atau sama dengan {ge}",
    "less_than_equal": "harus lebih kecil atau sama dengan {le}",
    "enum": "harus salah satu dari {expected}",
    "literal_error": "harus salah satu dari {expected}",
    "date_type": "harus berupa tanggal (YYYY-MM-DD)",
    "date_parsing": "harus berupa tanggal (YYYY-MM-DD)",
    "date_from_datetime_parsing": "harus berupa tanggal (YYYY-MM-DD)",
    "date_from_datetime_inexact": "harus berupa tanggal tanpa jam",
    "list_type": "harus berupa daftar",
    "too_long": "maksimal {max_length} isian",
    "model_attributes_type": "harus berupa objek JSON",
    "dict_type": "harus berupa objek JSON",
    "model_type": "harus berupa objek JSON",
    "uuid_parsing": "harus berupa UUID",
    "uuid_type": "harus berupa UUID",
    "json_invalid": "JSON rusak: {error}",
    "value_error": "nilai tidak valid: {error}",
}

# Messages of ReportContent's own model validator, which pydantic reports as `value_error`.
VALUE_ERRORS_ID = {
    "a progres_dana report needs `fund`": "laporan progres_dana wajib berisi `fund`",
    "`fund` belongs only to progres_dana reports": "`fund` hanya untuk laporan progres_dana",
}


def validation_message(error: dict[str, Any], language: Language) -> str:
    english = str(error.get("msg", "invalid"))
    if language == "en":
        return english
    code = str(error.get("type", ""))
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    if code == "value_error" and str(ctx.get("error", "")) in VALUE_ERRORS_ID:
        return VALUE_ERRORS_ID[ctx["error"]]
    template = VALIDATION_ID.get(code)
    if template is None:
        return english
    try:
        return template.format(**ctx)
    except KeyError:
        return english
