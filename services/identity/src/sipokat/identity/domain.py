"""The rules of accounts and sign-in, without I/O: phone numbers, posts, passwords, refresh-token
families and the throttling of failed attempts. `now` is always passed in."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from sipokat.events.envelope import Role

# The roles a person can hold a post in (the system acts for no one).
POST_ROLES = frozenset(Role) - {Role.SYSTEM}
# The level of the wilayah each role's post is for; admins and integrators answer for no area.
# (The same table `sipokat.runtime.auth` checks tokens against: a post that fits it gives
# tokens every service accepts.)
POST_LEVEL: Mapping[Role, str] = {
    Role.KETUA_RT: "rt",
    Role.LURAH: "kelurahan",
    Role.CAMAT: "kecamatan",
    Role.PEMKOT: "kota",
}

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


# --- phone numbers and emails -------------------------------------------------------------

_CALLABLE = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalize_phone(raw: str) -> str:
    """An Indonesian number in any common spelling (0812…, +62 812…, 62812…, with spaces,
    dashes, dots or brackets) as E.164 (+62812…); `Refused("phone_invalid")` for anything
    that is not a valid Indonesian mobile or fixed-line number."""
    if len(raw) > 32:  # no spelling of a real number is longer: do not hand the parser a novel
        raise Refused("phone_invalid", phone=raw[:32] + "…")
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException:
        raise Refused("phone_invalid", phone=raw) from None
    if (
        number.country_code != 62
        or not phonenumbers.is_valid_number_for_region(number, "ID")
        or phonenumbers.number_type(number) not in _CALLABLE
    ):
        raise Refused("phone_invalid", phone=raw)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")


def normalize_email(raw: str) -> str:
    """A plausible address, its domain in lower case. Whether it receives mail is not ours to
    know: no message is sent to it in this slice."""
    email = raw.strip()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise Refused("email_invalid")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


# --- posts -----------------------------------------------------------------------------------

LevelOf = Callable[[str], str | None]


@dataclass(frozen=True)
class Post:
    """A role held for a wilayah, from `start` until `end` (None: still held)."""

    role: Role
    wilayah: str | None
    start: datetime
    end: datetime | None = None

    def held_at(self, now: datetime) -> bool:
        return self.start <= now and (self.end is None or now < self.end)


def check_post(role: Role, wilayah: str | None, level_of: LevelOf) -> None:
    """A post's wilayah exists in the directory and is of the role's level (an RT head of an
    RT, a lurah of a kelurahan, …); admins and integrators hold posts for no wilayah."""
    if role not in POST_ROLES:
        raise Refused("role_not_a_post", role=role)
    level = POST_LEVEL.get(role)
    if level is None:
        if wilayah is not None:
            raise Refused("wilayah_none", role=role)
        return
    if wilayah is None:
        raise Refused("wilayah_level", role=role, level=level, wilayah="")
    found = level_of(wilayah)
    if found is None:
        raise Refused("wilayah_unknown", wilayah=wilayah)
    if found != level:
        raise Refused("wilayah_level", role=role, level=level, wilayah=wilayah)


# --- passwords -------------------------------------------------------------------------------

PIN_MIN = 6
PASSWORD_MIN = 10
# Argon2 takes any length, but a megabyte of "password" is work for us and no help to anyone.
PASSWORD_MAX = 128
_PIN = re.compile(r"[0-9]+")
_COMMON = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "qwerty",
        "qwertyuiop",
        "qwerty123",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "iloveyou",
        "sipokat",
        "sipokat123",
        "bismillah",
        "indonesia",
        "lubuklinggau",
        "katasandi",
        "rahasia",
        "admin",
        "administrator",
        "112233",
        "147258",
        "147258369",
        "159753",
        "852456",
        "246810",
    }
)


def check_password(password: str, role: Role, phone: str) -> None:
    """The password rule (docs/identity.md): an RT head may use a numeric PIN of at least 6
    digits, as their phones and habits need; everyone else a password of at least 10
    characters (an RT head may too). Refused either way: one character or a short group
    repeated (111111, 121212, abcabc), a straight run up or down (123456, 987654, abcdef), a
    password that is part of the account's own phone number, and a short list of the most
    common ones."""
    if len(password) > PASSWORD_MAX:
        raise Refused("password_too_long", max_length=PASSWORD_MAX)
    if _PIN.fullmatch(password) and len(password) < PASSWORD_MIN:
        if role != Role.KETUA_RT:
            raise Refused("pin_not_allowed", min_length=PASSWORD_MIN)
        if len(password) < PIN_MIN:
            raise Refused("pin_too_short", min_length=PIN_MIN)
    elif len(password) < PASSWORD_MIN:
        raise Refused("password_too_short", min_length=PASSWORD_MIN)
    why = weakness(password, phone)
    if why is not None:
        english, indonesian = WEAK_WHY[why]
        raise Refused("password_weak", why=english, alasan=indonesian)


def weakness(password: str, phone: str) -> str | None:
    """Why a password is among the first an attacker tries, or None."""
    folded = password.casefold()
    for unit in range(1, 4):
        if len(folded) >= 2 * unit and folded == (folded[:unit] * len(folded))[: len(folded)]:
            return "repeated"
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(folded)}
    if steps in ({1}, {-1}) and (folded.isdigit() or folded.isalpha()):
        return "sequence"
    # in +62812… or in the 0812… spelling people write
    if folded.isdigit() and any(folded in form for form in (phone.lstrip("+"), "0" + phone[3:])):
        return "phone"
    if folded in _COMMON or folded.rstrip("0123456789!.") in _COMMON:
        return "common"
    return None


# --- refresh-token families ------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """One sign-in's chain of refresh tokens (its id is the access tokens' `sid`). Only
    `current` may be exchanged; presenting any earlier token of the chain means it was copied,
    so the whole family is revoked (OAuth 2.0 Security BCP, refresh token rotation)."""

    id: UUID
    account: UUID
    current: str  # the hash of the one refresh token that may be used next
    created: datetime
    expires: datetime  # the family's absolute end: a new sign-in after it
    revoked: bool = False


Exchange = Literal["rotate", "reused", "revoked", "expired"]


def exchange(family: Family, presented: str, now: datetime) -> Exchange:
    """What presenting a refresh token (by its hash) of this family does."""
    if family.revoked:
        return "revoked"
    if presented != family.current:
        return "reused"
    if now >= family.expires:
        return "expired"
    return "rotate"


def rotated(family: Family, new_hash: str) -> Family:
    return replace(family, current=new_hash)


def revoked(family: Family) -> Family:
    return replace(family, revoked=True)


# --- throttling of failed attempts -----------------------------------------------------------


@dataclass(frozen=True)
class ThrottleRule:
    """`free` failures in a row pass unhindered; each one after doubles a wait (from `delay`,
    at most `max_delay`) before the next attempt is heard; at `lock_after` failures the key is
    locked for `lock`. Failures older than `window` are forgotten."""

    free: int
    lock_after: int
    delay: timedelta
    max_delay: timedelta
    lock: timedelta
    window: timedelta


@dataclass(frozen=True)
class Throttle:
    """The failed attempts of one key (a phone number, known or not, or an address)."""

    failures: int = 0
    last_failure: datetime | None = None
    wait_until: datetime | None = None

    def retry_after(self, now: datetime) -> float | None:
        """Seconds until an attempt is heard again, or None when it is heard now."""
        if self.wait_until is None or now >= self.wait_until:
            return None
        return (self.wait_until - now).total_seconds()

    def current(self, rule: ThrottleRule, now: datetime) -> Throttle:
        if self.last_failure is not None and now - self.last_failure >= rule.window:
            return Throttle()
        return self

    def failed(self, rule: ThrottleRule, now: datetime) -> Throttle:
        failures = self.current(rule, now).failures + 1
        wait: timedelta | None = None
        if failures >= rule.lock_after:
            wait = rule.lock
        elif failures > rule.free:
            wait = min(rule.delay * 2 ** (failures - rule.free - 1), rule.max_delay)
        return Throttle(failures, now, now + wait if wait is not None else None)


def throttle_key(kind: Literal["phone", "address"], value: str) -> str:
    return f"{kind}:{value}"
