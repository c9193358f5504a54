"""Help nearby: who may reset whose password, and what a helper sees of the people they help.

The chain helps itself one step down (issue 22, item 4): a lurah resets the PIN of an RT head of
their kelurahan, a camat the password of a lurah of their kecamatan, an admin anyone's. No one
resets upward, sideways or outside their area, and no one their own (they change it, knowing
it). A camat does not reset an RT head's PIN, though the RT lies in the kecamatan: the lurah
knows the RT head in person and is the one step the issue names; with no lurah, an admin helps.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sipokat.events.envelope import Role
from sipokat.identity.domain.people import Post
from sipokat.identity.domain.refusals import Refused
from sipokat.wilayah import within

# The role each helper resets, one step down the chain; an admin resets every role.
HELPS: Mapping[Role, Role] = {Role.LURAH: Role.KETUA_RT, Role.CAMAT: Role.LURAH}
# Rank in the chain, to tell "above or at your level" from "below"; integrators are not in it.
RANK: Mapping[Role, int] = {
    Role.KETUA_RT: 1,
    Role.LURAH: 2,
    Role.CAMAT: 3,
    Role.PEMKOT: 4,
    Role.ADMIN: 5,
}
# Refusals that must answer as "no such account": the target is none of the caller's business,
# so the answer must not tell whether it exists (a lurah cannot probe other kelurahan).
HIDDEN = frozenset({"reset_outside"})


def check_reset(
    actor_id: str, actor: Post, target_id: str, target: Post | None, now: datetime
) -> None:
    """Whether the holder of `actor` may reset the password of account `target_id`, whose
    latest post (held now, or ended) is `target` (None: it never held one). `Refused` says why
    not: `reset_self`, `reset_not_helper`, `reset_above` (at or above the helper's level, on
    their own line of the chain), `reset_outside` (elsewhere: answered as no such account),
    `reset_not_yours` (inside the area, but another helper's), `reset_no_post` (the post has
    ended: only an admin resets it)."""
    if actor_id == target_id:
        raise Refused("reset_self")
    if actor.role is Role.ADMIN:
        return  # anyone, with or without a post: the admin is the help of last resort
    helped = HELPS.get(actor.role)
    if helped is None or actor.wilayah is None:
        raise Refused("reset_not_helper", role=actor.role)
    if target is None:
        raise Refused("reset_outside")
    if _above(actor, target):
        raise Refused("reset_above", role=target.role)
    if target.wilayah is None or not within(target.wilayah, actor.wilayah):
        raise Refused("reset_outside")
    if target.role is not helped:
        raise Refused("reset_not_yours", role=target.role, helper=_helper_of(target.role))
    if not target.held_at(now):
        raise Refused("reset_no_post")


def _above(actor: Post, target: Post) -> bool:
    """The target is at or above the actor's level, on the actor's own line: an admin, the
    pemkot of their kota, the camat of their kecamatan, a fellow lurah of their kelurahan.
    Those the actor knows of; anyone elsewhere is `reset_outside`."""
    rank = RANK.get(target.role)
    if rank is None or rank < RANK[actor.role]:
        return False
    return target.wilayah is None or (
        actor.wilayah is not None and within(actor.wilayah, target.wilayah)
    )


def _helper_of(role: Role) -> str:
    helpers = [helper for helper, helped in HELPS.items() if helped is role]
    return str(helpers[0]) if helpers else str(Role.ADMIN)


def sees(actor: Post, target: Post | None, now: datetime) -> bool:
    """Whether the account list shows the target to this helper: exactly the people a lurah or
    camat may reset now (an admin sees everyone, including accounts whose post has ended)."""
    if actor.role is Role.ADMIN:
        return True
    helped = HELPS.get(actor.role)
    return (
        helped is not None
        and actor.wilayah is not None
        and target is not None
        and target.role is helped
        and target.wilayah is not None
        and within(target.wilayah, actor.wilayah)
        and target.held_at(now)
    )


def mask_phone(phone: str) -> str:
    """`+6281234567890` as `+62812****7890`: enough to tell the person in front of you from a
    namesake (the operator prefix and the last four digits), not enough to call or to collect."""
    hidden = max(len(phone) - 10, 1)
    return phone[:6] + "*" * hidden + phone[6 + hidden :]
