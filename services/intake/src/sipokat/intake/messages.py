"""Intake's own rule messages in English and Indonesian; the mechanism (Accept-Language
negotiation, problem titles, pydantic's messages) is shared by every service and lives in
`sipokat.runtime.messages`, re-exported here for intake's modules and older imports.

New problem titles and validation texts go into the runtime's catalogue (`TITLES_ID`,
`VALIDATION_ID`, `VALUE_ERRORS_ID` there are the very dicts named here).
"""

from __future__ import annotations

from typing import Any

from sipokat.runtime.messages import (
    DEFAULT_LANGUAGE,
    TITLES_ID,
    VALIDATION_ID,
    VALUE_ERRORS_ID,
    Language,
    Text,
    negotiate,
    title,
    validation_message,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "RULES",
    "TITLES_ID",
    "VALIDATION_ID",
    "VALUE_ERRORS_ID",
    "Language",
    "Text",
    "negotiate",
    "photo_text",
    "rule",
    "rule_text",
    "title",
    "validation_message",
]


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


def rule_text(code: str, params: dict[str, Any]) -> Text:
    english, indonesian = RULES[code]
    return Text(english, indonesian, params)


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


def photo_text(key: str, params: dict[str, Any]) -> Text:
    english, indonesian = PHOTOS[key]
    return Text(english, indonesian, params)
