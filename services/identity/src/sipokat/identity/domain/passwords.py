"""The password rule: what a password or PIN must be, and why a weak one is refused."""

from __future__ import annotations

import itertools
import re

from sipokat.events.envelope import Role
from sipokat.identity.domain.refusals import WEAK_WHY, Refused

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
