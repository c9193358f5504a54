"""What every service says to people, in English and Indonesian, chosen by Accept-Language.

English is the default: it is what an API client gets when it asks for nothing. A phone app set
to Indonesian sends `Accept-Language: id` and gets every problem title, detail and field message
in Indonesian. A problem is raised with its English title (looked up in `TITLES_ID`, which also
makes its `type`) and a `Text` detail carrying both languages; pydantic's validation messages
are translated by error type (`VALIDATION_ID`). `problems.py` renders them per request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sipokat.events.bounds import PATTERN_MESSAGES

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


@dataclass(frozen=True)
class Text:
    """A message in both languages; `{name}` placeholders take `params` (a `Text` parameter is
    rendered in the same language)."""

    en: str
    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, language: Language) -> str:
        template = self.id if language == "id" else self.en
        if not self.params:
            return template  # as it is: a text without parameters may hold braces
        return template.format(**{k: render(v, language) for k, v in self.params.items()})

    def __str__(self) -> str:
        return self.render("en")


def text(english: str, indonesian: str, /, **params: Any) -> Text:
    return Text(english, indonesian, params)


def render(value: Any, language: Language) -> Any:
    """`value` with every `Text` in it (also inside lists and dicts) in `language`."""
    if isinstance(value, Text):
        return value.render(language)
    if isinstance(value, list | tuple):
        return [render(item, language) for item in value]
    if isinstance(value, dict):
        return {k: render(v, language) for k, v in value.items()}
    return value


# Problem titles of every service, by the English title every Problem is raised with.
TITLES_ID = {
    "Invalid report": "Laporan tidak valid",
    "Invalid request": "Permintaan tidak valid",
    "Invalid decision": "Keputusan tidak valid",
    "Invalid cursor": "Kursor tidak valid",
    "Malformed JSON": "JSON rusak",
    "Bad request": "Permintaan salah",
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
    "Service unavailable": "Layanan tidak tersedia",
    "Page too large": "Halaman terlalu besar",
    "Rebuilding": "Sedang dibangun ulang",
    "Report set aside": "Laporan disisihkan",
    "Request header fields too large": "Header permintaan terlalu besar",
    "Rebuild running": "Pembangunan ulang sedang berjalan",
    "Webhook URL refused": "URL webhook ditolak",
    "Too many subscriptions": "Terlalu banyak langganan",
    "Sign-in failed": "Gagal masuk",
    "Activation failed": "Aktivasi gagal",
    "Error": "Galat",
}


def title(english: str, language: Language) -> str:
    return TITLES_ID.get(english, english) if language == "id" else english


def problem_kind(english_title: str) -> str:
    """The last part of a problem's `type` URI, made from its English title."""
    return english_title.lower().replace(" ", "-")


# pydantic's error types, in Indonesian; the English is pydantic's own message.
VALIDATION_ID: dict[str, str] = {
    "missing": "wajib diisi",
    "extra_forbidden": "kolom ini tidak boleh dikirim",
    "string_type": "harus berupa teks",
    "string_too_short": "minimal {min_length} karakter",
    "string_too_long": "maksimal {max_length} karakter",
    "string_pattern_mismatch": "format tidak sesuai",
    "string_unicode": "harus berupa teks Unicode yang sah",
    "int_type": "harus berupa bilangan bulat",
    "int_parsing": "harus berupa bilangan bulat",
    "int_parsing_size": "bilangan terlalu besar",
    "int_from_float": "harus berupa bilangan bulat",
    "float_type": "harus berupa angka",
    "float_parsing": "harus berupa angka",
    "finite_number": "harus berupa angka terhingga",
    "bool_type": "harus berupa true atau false",
    "bool_parsing": "harus berupa true atau false",
    "greater_than": "harus lebih besar dari {gt}",
    "greater_than_equal": "harus lebih besar atau sama dengan {ge}",
    "less_than": "harus lebih kecil dari {lt}",
    "less_than_equal": "harus lebih kecil atau sama dengan {le}",
    "multiple_of": "harus kelipatan {multiple_of}",
    "enum": "harus salah satu dari {expected}",
    "literal_error": "harus salah satu dari {expected}",
    "date_type": "harus berupa tanggal (YYYY-MM-DD)",
    "date_parsing": "harus berupa tanggal (YYYY-MM-DD)",
    "date_from_datetime_parsing": "harus berupa tanggal (YYYY-MM-DD)",
    "date_from_datetime_inexact": "harus berupa tanggal tanpa jam",
    "datetime_type": "harus berupa waktu (ISO 8601)",
    "datetime_parsing": "harus berupa waktu (ISO 8601)",
    "datetime_from_date_parsing": "harus berupa waktu (ISO 8601)",
    "timezone_aware": "waktu harus menyertakan zona waktu",
    "list_type": "harus berupa daftar",
    "too_short": "minimal {min_length} isian",
    "too_long": "maksimal {max_length} isian",
    "model_attributes_type": "harus berupa objek JSON",
    "dict_type": "harus berupa objek JSON",
    "model_type": "harus berupa objek JSON",
    "uuid_parsing": "harus berupa UUID",
    "uuid_type": "harus berupa UUID",
    "url_type": "harus berupa URL",
    "url_parsing": "harus berupa URL yang sah",
    "url_scheme": "skema URL harus {expected_schemes}",
    "url_too_long": "URL maksimal {max_length} karakter",
    "json_invalid": "JSON rusak: {error}",
    "json_type": "harus berupa JSON",
    "value_error": "nilai tidak valid: {error}",
    "assertion_error": "nilai tidak valid: {error}",
}

# Messages of the catalogue models' own validators, which pydantic reports as `value_error`.
VALUE_ERRORS_ID = {
    "a progres_dana report needs `fund`": "laporan progres_dana wajib berisi `fund`",
    "`fund` belongs only to progres_dana reports": "`fund` hanya untuk laporan progres_dana",
}

# pydantic lists choices as "'a', 'b' or 'c'": the last joint is English.
_OR = re.compile(r"(?<=') or (?=')")


def validation_message(error: Mapping[str, Any], language: Language) -> str:
    code = str(error.get("type", ""))
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    # A contract pattern said in words, not as the regular expression pydantic names.
    if code == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_MESSAGES:
        return PATTERN_MESSAGES[ctx["pattern"]][0 if language == "en" else 1]
    english = str(error.get("msg", "invalid"))
    if language == "en":
        return english
    if code == "value_error" and str(ctx.get("error", "")) in VALUE_ERRORS_ID:
        return VALUE_ERRORS_ID[ctx["error"]]
    template = VALIDATION_ID.get(code)
    if template is None:
        return english
    ctx = {k: _OR.sub(" atau ", v) for k, v in ctx.items()}
    try:
        return template.format(**ctx)
    except KeyError:
        return english
