"""Phone numbers, emails and posts: who a person is and what they hold."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from sipokat.events.envelope import Role
from sipokat.identity.domain.refusals import Refused

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
