"""Help nearby's rule, exhaustively: every role against every kind of post, in and out of the
helper's area, held or ended; and what a helper sees of the people they help."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sipokat.events.envelope import Role
from sipokat.identity.domain import RULES, Post, Refused
from sipokat.identity.domain.resets import HIDDEN, check_reset, mask_phone, sees

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
START = NOW - timedelta(days=100)


def held(role: Role, wilayah: str | None) -> Post:
    return Post(role, wilayah, START)


def ended(post: Post) -> Post:
    return Post(post.role, post.wilayah, post.start, NOW - timedelta(days=1))


ACTORS = {
    "rt": held(Role.KETUA_RT, "16.73.02.1019/007"),
    "lurah": held(Role.LURAH, "16.73.02.1019"),
    "camat": held(Role.CAMAT, "16.73.02"),
    "pemkot": held(Role.PEMKOT, "16.73"),
    "admin": held(Role.ADMIN, None),
    "integrator": held(Role.INTEGRATOR, None),
}
TARGETS = {
    "rt_same_kelurahan": held(Role.KETUA_RT, "16.73.02.1019/001"),
    "rt_same_kecamatan": held(Role.KETUA_RT, "16.73.02.1001/001"),
    "rt_elsewhere": held(Role.KETUA_RT, "16.73.01.1001/001"),
    "rt_kediri": held(Role.KETUA_RT, "35.71.01.1001/001"),
    "lurah_same_kelurahan": held(Role.LURAH, "16.73.02.1019"),  # a fellow lurah, same area
    "lurah_same_kecamatan": held(Role.LURAH, "16.73.02.1001"),
    "lurah_elsewhere": held(Role.LURAH, "16.73.01.1001"),
    "camat_own": held(Role.CAMAT, "16.73.02"),
    "camat_elsewhere": held(Role.CAMAT, "16.73.01"),
    "pemkot_own": held(Role.PEMKOT, "16.73"),
    "pemkot_kediri": held(Role.PEMKOT, "35.71"),
    "admin": held(Role.ADMIN, None),
    "integrator": held(Role.INTEGRATOR, None),
}
OK = None
# Each helper's answer for each target: None (may reset) or the refusal's code.
LURAH = {
    "rt_same_kelurahan": OK,
    "rt_same_kecamatan": "reset_outside",
    "rt_elsewhere": "reset_outside",
    "rt_kediri": "reset_outside",
    "lurah_same_kelurahan": "reset_above",
    "lurah_same_kecamatan": "reset_outside",
    "lurah_elsewhere": "reset_outside",
    "camat_own": "reset_above",
    "camat_elsewhere": "reset_outside",
    "pemkot_own": "reset_above",
    "pemkot_kediri": "reset_outside",
    "admin": "reset_above",
    "integrator": "reset_outside",
}
CAMAT = {
    "rt_same_kelurahan": "reset_not_yours",  # in the kecamatan, but the lurah's to help
    "rt_same_kecamatan": "reset_not_yours",
    "rt_elsewhere": "reset_outside",
    "rt_kediri": "reset_outside",
    "lurah_same_kelurahan": OK,
    "lurah_same_kecamatan": OK,
    "lurah_elsewhere": "reset_outside",
    "camat_own": "reset_above",
    "camat_elsewhere": "reset_outside",
    "pemkot_own": "reset_above",
    "pemkot_kediri": "reset_outside",
    "admin": "reset_above",
    "integrator": "reset_outside",
}
EXPECTED: dict[str, dict[str, str | None]] = {
    "lurah": LURAH,
    "camat": CAMAT,
    "admin": dict.fromkeys(TARGETS, OK),
    **{name: dict.fromkeys(TARGETS, "reset_not_helper") for name in ("rt", "pemkot")},
    "integrator": dict.fromkeys(TARGETS, "reset_not_helper"),
}
TABLE = [(actor, target, EXPECTED[actor][target]) for actor in ACTORS for target in TARGETS]


def outcome(actor: Post, target: Post | None, *, same: bool = False) -> str | None:
    try:
        check_reset("actor", actor, "actor" if same else "target", target, NOW)
    except Refused as refused:
        assert refused.code in RULES
        return refused.code
    return None


def test_the_table_covers_every_role_on_both_sides() -> None:
    assert {post.role for post in ACTORS.values()} == set(Role) - {Role.SYSTEM}
    assert {post.role for post in TARGETS.values()} == set(Role) - {Role.SYSTEM}


@pytest.mark.parametrize(("actor", "target", "expected"), TABLE)
def test_who_may_reset_whom(actor: str, target: str, expected: str | None) -> None:
    assert outcome(ACTORS[actor], TARGETS[target]) == expected


@pytest.mark.parametrize(("actor", "target", "expected"), TABLE)
def test_an_ended_post_is_reset_by_an_admin_only(
    actor: str, target: str, expected: str | None
) -> None:
    # Where the held post could be reset, the ended one answers "no post" (an admin's still
    # works); every other refusal stays what it was, so an ended post tells no more.
    got = outcome(ACTORS[actor], ended(TARGETS[target]))
    if expected is None and actor != "admin":
        assert got == "reset_no_post"
    else:
        assert got == expected


@pytest.mark.parametrize("actor", ACTORS)
def test_no_one_resets_their_own_password(actor: str) -> None:
    assert outcome(ACTORS[actor], ACTORS[actor], same=True) == "reset_self"


@pytest.mark.parametrize("actor", ACTORS)
def test_an_account_that_never_held_a_post_is_an_admins_alone(actor: str) -> None:
    expected = {"admin": None, "lurah": "reset_outside", "camat": "reset_outside"}
    assert outcome(ACTORS[actor], None) == expected.get(actor, "reset_not_helper")


def test_a_post_not_started_yet_is_not_held() -> None:
    later = Post(Role.KETUA_RT, "16.73.02.1019/001", NOW + timedelta(days=1))
    assert outcome(ACTORS["lurah"], later) == "reset_no_post"


def test_only_the_outside_is_answered_as_no_such_account() -> None:
    assert {"reset_outside"} == HIDDEN


@pytest.mark.parametrize(("actor", "target", "expected"), TABLE)
def test_a_helper_sees_exactly_whom_they_may_reset(
    actor: str, target: str, expected: str | None
) -> None:
    assert sees(ACTORS[actor], TARGETS[target], NOW) is (expected is None)
    assert sees(ACTORS[actor], ended(TARGETS[target]), NOW) is (actor == "admin")


def test_refusals_name_whose_help_it_is() -> None:
    with pytest.raises(Refused) as caught:
        check_reset("c", ACTORS["camat"], "t", TARGETS["rt_same_kelurahan"], NOW)
    assert "reset by their lurah" in caught.value.message("en")
    assert "direset oleh lurah" in caught.value.message("id")


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+6281234567890", "+62812****7890"),
        ("+628123456789", "+62812***6789"),
        ("+62733321456", "+62733**1456"),
    ],
)
def test_a_masked_phone_keeps_the_operator_and_the_last_four_digits(
    phone: str, masked: str
) -> None:
    assert mask_phone(phone) == masked
    assert len(mask_phone(phone)) == len(phone)
