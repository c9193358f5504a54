"""The first admin, from the machine that runs the platform: the launcher's banner and
`sipokat accounts first-admin`.

Both open identity's own store on this machine (its settings from the environment, as the
service has them) and ask it for an admin code: a code never travels through a log or the
network before a person types it into `POST /v1/auth/first-admin`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sipokat.identity.handlers.firstrun import AdminCode


def first_run_code() -> AdminCode | None:
    """A fresh first-admin code while nobody has claimed one (None once the first admin
    exists, or when identity's store cannot be read: the platform runs on without it)."""
    from sipokat.identity.entrypoints.host import first_run_code as make
    from sipokat.identity.settings import IdentitySettings

    try:
        return asyncio.run(make(IdentitySettings()))
    except Exception as exc:  # the platform is up; say why there is no code, and go on
        print(f"no first-admin code: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return None


def claim_command(gateway: str, code: str) -> str:
    return (
        f"curl -X POST {gateway}/v1/auth/first-admin -H 'Content-Type: application/json' \\\n"
        f'      -d \'{{"code": "{code}", "name": "Your Name", "phone": "08…", '
        '"password": "at least 10 characters"}\''
    )


def first_admin_banner(gateway: str, code: AdminCode | None, identity: bool) -> str:
    """The banner's sign-in lines: the first admin's code while there is none, else where to
    sign in."""
    if not identity:
        return ""
    if code is None:
        return (
            f"  Sign in:  POST {gateway}/v1/auth/signin {{phone, password}} (docs/identity.md);\n"
            "            a lost admin: uv run sipokat accounts first-admin\n"
        )
    until = code.expires.strftime("%Y-%m-%d %H:%M UTC")
    return (
        "  First sign-in: no admin yet. This one-time code, shown once, makes you the first\n"
        f"  admin (valid until {until}; until used, each start prints a new one):\n\n"
        f"      {code.code}\n\n"
        f"  Claim it with your name, phone number and a password (or in the API docs):\n"
        f"    {claim_command(gateway, code.code)}\n"
        f"  then sign in at {gateway}/v1/auth/signin.\n"
    )


def print_first_admin_code() -> int:
    """`sipokat accounts first-admin`: the first admin's code (the one the launcher printed
    stops working), or once there is an admin, a code for one more."""
    from sipokat.identity.entrypoints.host import operator_code
    from sipokat.identity.settings import IdentitySettings

    made = asyncio.run(operator_code(IdentitySettings()))
    until = made.expires.strftime("%Y-%m-%d %H:%M UTC")
    who = "the first admin" if made.slot == "first-run" else "one more admin (an admin exists)"
    print(f"A one-time code for {who}, valid until {until}:\n\n    {made.code}\n")
    print(f"Claim it: {claim_command('http://127.0.0.1:8000', made.code)}")
    return 0
