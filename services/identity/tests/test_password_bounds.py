"""The password rule at its edges, beside the cases of test_domain.py: the shortest and longest
accepted, a long all-digit password for anyone, and common words dressed up."""

from __future__ import annotations

import pytest

from sipokat.events.envelope import Role
from sipokat.identity.domain import PASSWORD_MAX, Refused, check_password

PHONE = "+6281234567890"


@pytest.mark.parametrize(
    ("password", "role"),
    [
        ("kopi susu!", Role.LURAH),  # 10 characters: the shortest password
        ("k" + "opi susu " * 14 + "x" * 1, Role.ADMIN),  # 128 characters: the longest
        ("4829157306", Role.LURAH),  # ten digits are a password, not a PIN, for anyone
        ("482915", Role.KETUA_RT),  # six digits: the shortest PIN
    ],
)
def test_the_edges_of_the_rule_are_accepted(password: str, role: Role) -> None:
    assert len(password) <= PASSWORD_MAX
    check_password(password, role, PHONE)


@pytest.mark.parametrize(
    ("password", "role", "code"),
    [
        ("kopi susu", Role.LURAH, "password_too_short"),  # 9 characters
        ("x" * (PASSWORD_MAX + 1), Role.KETUA_RT, "password_too_long"),
        ("Bismillah2026!", Role.LURAH, "password_weak"),  # a common word, digits appended
        ("Lubuklinggau1", Role.PEMKOT, "password_weak"),
        ("34567890", Role.KETUA_RT, "password_weak"),  # the end of the number, 8 digits
        ("6281234567890", Role.ADMIN, "password_weak"),  # the number as 62…
        ("ABCABCABCABC", Role.ADMIN, "password_weak"),  # a group of three repeated, any case
    ],
)
def test_past_the_edges_is_refused(password: str, role: Role, code: str) -> None:
    with pytest.raises(Refused) as refused:
        check_password(password, role, PHONE)
    assert refused.value.code == code
