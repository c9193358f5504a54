"""Identity's rules without I/O: phone spellings, posts, passwords, refresh-token families and
the throttling of failed attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipokat.events.envelope import Role
from sipokat.identity.domain import (
    Family,
    Refused,
    Throttle,
    ThrottleRule,
    check_password,
    check_post,
    exchange,
    normalize_email,
    normalize_phone,
    revoked,
    rotated,
)
from sipokat.wilayah import load_default_directory

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PHONE = "+6281234567890"
RT, KELURAHAN, KECAMATAN, KOTA = "16.73.02.1019/007", "16.73.02.1019", "16.73.02", "16.73"


@pytest.mark.parametrize(
    "spelling",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "+62 812 3456 7890",
        "+62-812-3456-7890",
        "62812345678 90",
        "6281234567890",
        "+6281234567890",
        "(0812) 3456.7890",
    ],
)
def test_every_common_spelling_of_a_mobile_number_is_one_e164(spelling: str) -> None:
    assert normalize_phone(spelling) == PHONE


@given(
    prefix=st.sampled_from(["0", "+62", "62", "+62 ", "+62-", "+62 (0)"]),
    separators=st.lists(st.sampled_from(["", "", " ", "-", "."]), min_size=10, max_size=10),
)
def test_any_grouping_of_the_digits_is_the_same_number(prefix: str, separators: list[str]) -> None:
    digits = "81234567890"
    spelled = "".join(d + sep for d, sep in zip(digits, [*separators, ""], strict=True))
    assert normalize_phone(prefix + spelled) == PHONE


@given(st.text(max_size=40) | st.from_regex(r"\+?[0-9 ()+.-]{0,30}", fullmatch=True))
def test_any_text_is_a_number_or_a_refusal(raw: str) -> None:
    try:
        phone = normalize_phone(raw)
    except Refused as refused:
        assert refused.code == "phone_invalid"
    else:
        assert phone.startswith("+62") and phone[1:].isdigit()


@given(st.text(max_size=200), st.sampled_from(sorted(Role)))
def test_any_password_is_accepted_or_refused_by_a_rule(password: str, role: Role) -> None:
    try:
        check_password(password, role, PHONE)
    except Refused as refused:
        assert refused.message("id") and refused.message("en")


def test_a_fixed_line_number_is_kept_too() -> None:
    # Lubuklinggau's area code is 0733.
    assert normalize_phone("(0733) 321 456") == "+62733321456"


@pytest.mark.parametrize(
    "spelling",
    [
        "",
        "not a number",
        "0812",  # too short
        "08123456789012345",  # too long
        "+1 202 555 0143",  # a valid number, not an Indonesian one
        "+44 7911 123456",
        "0000000000",
        "x" * 200,
    ],
)
def test_what_is_no_indonesian_number_is_refused(spelling: str) -> None:
    with pytest.raises(Refused) as refused:
        normalize_phone(spelling)
    assert refused.value.code == "phone_invalid"
    assert "bukan nomor telepon Indonesia" in refused.value.message("id")


def test_emails() -> None:
    assert normalize_email(" Siti.Rahma@Example.CO.ID ") == "Siti.Rahma@example.co.id"
    for bad in ("siti", "siti@", "@example.com", "siti@example", "a b@example.com"):
        with pytest.raises(Refused):
            normalize_email(bad)


@pytest.mark.parametrize(
    ("role", "wilayah"),
    [
        (Role.KETUA_RT, RT),
        (Role.LURAH, KELURAHAN),
        (Role.CAMAT, KECAMATAN),
        (Role.PEMKOT, KOTA),
        (Role.ADMIN, None),
        (Role.INTEGRATOR, None),
    ],
)
def test_a_post_of_the_right_level_is_accepted(role: Role, wilayah: str | None) -> None:
    check_post(role, wilayah, load_default_directory().level_of)


@pytest.mark.parametrize(
    ("role", "wilayah", "code"),
    [
        (Role.KETUA_RT, KELURAHAN, "wilayah_level"),
        (Role.LURAH, RT, "wilayah_level"),
        (Role.CAMAT, KOTA, "wilayah_level"),
        (Role.PEMKOT, KECAMATAN, "wilayah_level"),
        (Role.LURAH, None, "wilayah_level"),
        (Role.KETUA_RT, "16.73.02.1019/999", "wilayah_unknown"),  # past the kelurahan's RTs
        (Role.LURAH, "16.73.02.9999", "wilayah_unknown"),
        (Role.ADMIN, KOTA, "wilayah_none"),
        (Role.SYSTEM, None, "role_not_a_post"),
    ],
)
def test_a_post_of_the_wrong_level_or_nowhere_is_refused(
    role: Role, wilayah: str | None, code: str
) -> None:
    with pytest.raises(Refused) as refused:
        check_post(role, wilayah, load_default_directory().level_of)
    assert refused.value.code == code


@pytest.mark.parametrize("pin", ["482915", "5039174", "90817263"])
def test_an_rt_head_may_use_a_pin_of_six_digits(pin: str) -> None:
    check_password(pin, Role.KETUA_RT, PHONE)


def test_everyone_may_use_a_long_password() -> None:
    for role in (Role.KETUA_RT, Role.LURAH, Role.ADMIN):
        check_password("kopi susu di pos ronda", role, PHONE)


@pytest.mark.parametrize(
    ("password", "role", "code"),
    [
        ("48291", Role.KETUA_RT, "pin_too_short"),
        ("482915", Role.LURAH, "pin_not_allowed"),
        ("48291573", Role.ADMIN, "pin_not_allowed"),
        ("kopi susu", Role.LURAH, "password_too_short"),
        ("kopi1", Role.KETUA_RT, "password_too_short"),
        ("x" * 129, Role.ADMIN, "password_too_long"),
        ("111111", Role.KETUA_RT, "password_weak"),
        ("121212", Role.KETUA_RT, "password_weak"),
        ("123123", Role.KETUA_RT, "password_weak"),
        ("123456", Role.KETUA_RT, "password_weak"),
        ("987654", Role.KETUA_RT, "password_weak"),
        ("0123456789", Role.LURAH, "password_weak"),
        ("abcdefghijk", Role.LURAH, "password_weak"),
        ("aaaaaaaaaaaa", Role.LURAH, "password_weak"),
        ("567890", Role.KETUA_RT, "password_weak"),  # the end of the phone number
        ("081234567890", Role.LURAH, "password_weak"),  # the number itself
        ("password2026", Role.ADMIN, "password_weak"),
        ("Qwertyuiop", Role.ADMIN, "password_weak"),
    ],
)
def test_short_pin_for_others_and_weak_passwords_are_refused(
    password: str, role: Role, code: str
) -> None:
    with pytest.raises(Refused) as refused:
        check_password(password, role, PHONE)
    assert refused.value.code == code
    assert refused.value.message("id") != refused.value.message("en")


def _family() -> Family:
    return Family(uuid4(), uuid4(), "hash-1", NOW, NOW + timedelta(days=30))


def test_the_current_refresh_token_rotates() -> None:
    family = _family()
    assert exchange(family, "hash-1", NOW) == "rotate"
    family = rotated(family, "hash-2")
    assert exchange(family, "hash-2", NOW) == "rotate"


def test_presenting_a_spent_token_is_reuse_and_nothing_of_the_family_works_after() -> None:
    family = rotated(_family(), "hash-2")
    assert exchange(family, "hash-1", NOW) == "reused"
    family = revoked(family)  # what the handler does on reuse
    assert exchange(family, "hash-2", NOW) == "revoked"


def test_a_family_past_its_end_is_expired() -> None:
    family = _family()
    assert exchange(family, "hash-1", family.expires) == "expired"


RULE = ThrottleRule(
    free=3,
    lock_after=6,
    delay=timedelta(seconds=1),
    max_delay=timedelta(seconds=3),
    lock=timedelta(minutes=15),
    window=timedelta(hours=1),
)


def test_failures_pass_free_then_slow_down_then_lock() -> None:
    throttle, now, waits = Throttle(), NOW, []
    for _ in range(6):
        throttle = throttle.failed(RULE, now)
        waits.append(throttle.retry_after(now))
        now = throttle.wait_until or now
    assert waits == [None, None, None, 1.0, 2.0, 15 * 60.0]


def test_the_wait_never_exceeds_its_bound_before_the_lock() -> None:
    rule = ThrottleRule(
        free=0,
        lock_after=50,
        delay=timedelta(seconds=1),
        max_delay=timedelta(seconds=30),
        lock=timedelta(hours=1),
        window=timedelta(days=1),
    )
    throttle = Throttle()
    for _ in range(20):
        throttle = throttle.failed(rule, NOW)
    assert throttle.retry_after(NOW) == 30.0


def test_old_failures_are_forgotten_after_the_window() -> None:
    throttle = Throttle()
    for _ in range(5):
        throttle = throttle.failed(RULE, NOW)
    later = NOW + RULE.window
    assert throttle.current(RULE, later) == Throttle()
    assert throttle.failed(RULE, later).failures == 1
