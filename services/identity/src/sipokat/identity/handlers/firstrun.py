"""The first admin, and admins made on the host: a one-time code that whoever holds it claims
with their own name, phone number and password.

Nobody can create the first admin through the API (only an admin creates accounts), so the code
comes from the machine: the launcher asks for one at every start until the first admin exists
(`first_admin_code`), and an operator on the host can ask for one at any time
(`host_admin_code`: a lost admin, one more) and the demo for its own admin (`demo_admin_code`,
which does not count as the first admin). The code is never logged: it is printed once, to the
terminal that asked. A code lives `first_admin_code_hours`; a new one of the same
slot replaces the old one, and claiming spends it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import uuid4

import structlog

from sipokat.events.envelope import Role
from sipokat.events.store.base import ViewTransaction
from sipokat.identity.domain import (
    Post,
    check_password,
    normalize_email,
    normalize_phone,
    throttle_key,
)
from sipokat.identity.handlers.context import (
    CODE_ALPHABET,
    ActivationFailed,
    IdentityContext,
    PhoneTaken,
    Session,
    write,
)
from sipokat.identity.handlers.post_events import post_started, send_after_commit
from sipokat.identity.handlers.sessions import (
    check_throttles,
    count_failure,
    forget_failures,
    new_session,
)
from sipokat.identity.queries import ACCOUNTS, PHONES, account_document, iso, when

log = structlog.get_logger(__name__)

ADMIN_CODES = "admin_codes"  # slot -> {"code_hash", "issued", "expires"}: a pending code each
FIRST_RUN = "first_run"  # "admin" -> {"account", "claimed"} once the first admin exists
FIRST_ADMIN = "admin"

Slot = Literal["first-run", "host", "demo"]
SLOTS: tuple[Slot, ...] = ("first-run", "host", "demo")
# No phone number goes with this code (the claimant brings theirs), so it is longer than an
# activation code: 31^12 ≈ 2^59, with the sign-in throttling on top.
ADMIN_CODE_LENGTH = 12


@dataclass(frozen=True)
class AdminCode:
    code: str  # shown once, grouped for reading: ABCD-EFGH-JKMN
    expires: datetime
    slot: Slot


def new_admin_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(ADMIN_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, ADMIN_CODE_LENGTH, 4))


def plain(code: str) -> str:
    """What is hashed and compared: dashes, spaces and case do not matter."""
    return "".join(code.split()).replace("-", "").upper()


async def first_admin_exists(context: IdentityContext) -> bool:
    """Whether a person has ever claimed an admin code of the first run or of the host (the
    demo's admin is no person: it does not count)."""
    return await context.database.views.get(FIRST_RUN, FIRST_ADMIN) is not None


async def first_admin_code(context: IdentityContext) -> AdminCode | None:
    """A fresh first-run code (the one before, if any, stops working), or None once the first
    admin exists: what the launcher prints at every start until someone claims it."""
    if await first_admin_exists(context):
        return None
    return await _issue(context, "first-run")


async def host_admin_code(context: IdentityContext) -> AdminCode:
    """The host operator's: the first-run code while there is no admin yet, else a code for one
    more admin (the first-run code stays as it is)."""
    return await first_admin_code(context) or await _issue(context, "host")


async def demo_admin_code(context: IdentityContext) -> AdminCode:
    """The demo's own: its admin creates the people it plays, and leaves the first-run code
    to the person at the terminal."""
    return await _issue(context, "demo")


async def _issue(context: IdentityContext, slot: Slot) -> AdminCode:
    now = context.clock()
    code = new_admin_code()
    expires = now + timedelta(hours=context.settings.first_admin_code_hours)
    code_hash = await context.hasher.hash(plain(code))

    async def effect(tx: ViewTransaction) -> None:
        await tx.put(
            ADMIN_CODES, slot, {"code_hash": code_hash, "issued": iso(now), "expires": iso(expires)}
        )

    await write(context, effect)
    log.info("identity.admin_code_issued", slot=slot)  # never the code itself
    return AdminCode(code, expires, slot)


async def claim_admin(
    context: IdentityContext,
    *,
    code: str,
    name: str,
    raw_phone: str,
    email: str | None,
    password: str,
    address: str,
) -> Session:
    """The holder of an admin code becomes an admin with their own number and password;
    answers a session. Throttled as sign-in is, per number and per address."""
    phone = normalize_phone(raw_phone)
    mail = normalize_email(email) if email else None
    await check_throttles(context, [throttle_key("phone", phone), throttle_key("address", address)])
    now = context.clock()
    slot, code_hash = await _matching_slot(context, plain(code), now)
    if slot is None:
        await count_failure(context, phone, address)
        raise ActivationFailed
    check_password(password, Role.ADMIN, phone)
    password_hash = await context.hasher.hash(password)
    post = Post(Role.ADMIN, None, now)
    account_id = str(uuid4())
    account = account_document(
        account_id,
        name=name,
        phone=phone,
        email=mail,
        post=post,
        now=now,
        password_hash=password_hash,
    )

    async def effect(tx: ViewTransaction) -> str:
        stored = await tx.get(ADMIN_CODES, slot)
        if stored is None or stored.get("code_hash") != code_hash:
            return "spent"  # claimed (or replaced) by a request that won the race
        if await tx.get(PHONES, phone) is not None:
            return "taken"
        await tx.put(PHONES, phone, {"account": account_id})
        await tx.put(ACCOUNTS, account_id, account)
        await post_started(tx, account_id, post)  # the admin's post is an event like any other
        await tx.delete(ADMIN_CODES, slot)
        if slot != "demo" and await tx.get(FIRST_RUN, FIRST_ADMIN) is None:
            await tx.put(FIRST_RUN, FIRST_ADMIN, {"account": account_id, "claimed": iso(now)})
        return "claimed"

    outcome = await write(context, effect)
    if outcome == "spent":
        raise ActivationFailed
    if outcome == "taken":
        raise PhoneTaken
    await send_after_commit(context, account_id)
    await forget_failures(context, phone)
    log.info("identity.admin_claimed", account=account_id, slot=slot)
    return await new_session(context, account, post)


async def _matching_slot(
    context: IdentityContext, code: str, now: datetime
) -> tuple[Slot | None, str | None]:
    """The slot whose pending, unexpired code this is. Every slot costs one verification,
    pending or not, so the answer's timing does not tell which codes exist."""
    found: tuple[Slot | None, str | None] = (None, None)
    for slot in SLOTS:
        pending = await context.database.views.get(ADMIN_CODES, slot)
        code_hash = pending.get("code_hash") if pending else None
        matches, _ = await context.hasher.verify(code, code_hash)
        expires = when(pending.get("expires")) if pending else None
        if matches and expires is not None and now < expires:
            found = (slot, code_hash)
    return found
