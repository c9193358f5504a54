"""What a refusal of identity's rules says, in English and Indonesian, by the rule's code."""

from __future__ import annotations

from typing import Any, Literal

# What a refusal says, by the rule's code: English and Indonesian, `{name}` from its params.
RULES: dict[str, tuple[str, str]] = {
    "phone_invalid": (
        "not an Indonesian phone number: {phone!r}",
        "bukan nomor telepon Indonesia: {phone!r}",
    ),
    "email_invalid": ("not an email address", "bukan alamat email"),
    "wilayah_unknown": (
        "wilayah {wilayah!r} is not in the directory",
        "wilayah {wilayah!r} tidak ada dalam direktori",
    ),
    "wilayah_level": (
        "a {role} post is for a {level}, and {wilayah!r} is not one",
        "jabatan {role} untuk sebuah {level}, dan {wilayah!r} bukan {level}",
    ),
    "wilayah_none": (
        "a {role} post is for no wilayah",
        "jabatan {role} tidak untuk wilayah mana pun",
    ),
    "role_not_a_post": ("{role} is not a post", "{role} bukan jabatan"),
    "password_too_short": (
        "the password needs at least {min_length} characters",
        "kata sandi minimal {min_length} karakter",
    ),
    "pin_too_short": (
        "a PIN needs at least {min_length} digits",
        "PIN minimal {min_length} angka",
    ),
    "pin_not_allowed": (
        "only RT heads may use a numeric PIN; use a password of at least {min_length} characters",
        "hanya ketua RT yang boleh memakai PIN angka; pakai kata sandi minimal {min_length} "
        "karakter",
    ),
    "password_too_long": (
        "the password is longer than {max_length} characters",
        "kata sandi lebih dari {max_length} karakter",
    ),
    "password_weak": (
        "the password is too easy to guess ({why})",
        "kata sandi terlalu mudah ditebak ({alasan})",
    ),
    "no_post": ("the account holds no post", "akun ini tidak memegang jabatan"),
    # Help nearby (domain/resets.py). `reset_outside` is answered as "no such account".
    "reset_self": (
        "you cannot reset your own password: change it with your current one, or ask the one "
        "who helps you",
        "Anda tidak dapat mereset kata sandi sendiri: ubah dengan kata sandi saat ini, atau "
        "minta bantuan atasan Anda",
    ),
    "reset_not_helper": (
        "a {role} resets no one's password",
        "{role} tidak dapat mereset kata sandi siapa pun",
    ),
    "reset_above": (
        "this account's post ({role}) is at or above your level: you cannot reset it",
        "jabatan akun ini ({role}) setingkat atau di atas Anda: Anda tidak dapat mereset-nya",
    ),
    "reset_outside": (
        "no such account in your jurisdiction",
        "akun tidak ditemukan di wilayah Anda",
    ),
    "reset_not_yours": (
        "this account is in your area but not yours to help: a {role}'s password is reset by "
        "their {helper}",
        "akun ini di wilayah Anda tetapi bukan bantuan Anda: kata sandi {role} direset oleh "
        "{helper}-nya",
    ),
    "reset_no_post": (
        "this account's post has ended: only an admin can reset it",
        "jabatan akun ini sudah berakhir: hanya admin yang dapat mereset-nya",
    ),
}

WEAK_WHY: dict[str, tuple[str, str]] = {
    "repeated": ("one character or a short group repeated", "satu karakter atau pola diulang"),
    "sequence": ("a run like 123456 or abcdef", "urutan seperti 123456 atau abcdef"),
    "phone": ("it is in the phone number", "ada di nomor telepon"),
    "common": ("a common password", "kata sandi yang umum"),
}


class Refused(ValueError):
    """A rule of identity refused the input; `message(language)` says which and why."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, language: Literal["en", "id"]) -> str:
        english, indonesian = RULES[self.code]
        return (indonesian if language == "id" else english).format(**self.params)
