"""Password (and one-time code) hashing: Argon2id through pwdlib, off the event loop.

The parameters come from the settings, whose bounds are OWASP's minimum for Argon2id (19 MiB,
2 iterations, 1 lane: docs/identity.md says why that minimum and not more). A hash records its
own parameters, so raising them later still verifies every old hash, and a sign-in rehashes
with the new ones (`verify_and_update`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


@dataclass(frozen=True)
class Argon2Parameters:
    memory_kib: int
    time_cost: int
    parallelism: int


class PasswordHasher:
    def __init__(self, parameters: Argon2Parameters) -> None:
        self._hash = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=parameters.time_cost,
                    memory_cost=parameters.memory_kib,
                    parallelism=parameters.parallelism,
                ),
            )
        )
        # Checked against when the account does not exist, so that a wrong number costs the
        # same time as a wrong password and the answer's timing does not tell them apart.
        self._decoy = self._hash.hash("no account has this password")

    async def hash(self, secret: str) -> str:
        # An Argon2 hash is tens of milliseconds of CPU: on a thread, the loop keeps serving.
        return await asyncio.to_thread(self._hash.hash, secret)

    async def verify(self, secret: str, hashed: str | None) -> tuple[bool, str | None]:
        """Whether `secret` matches `hashed` (always False with no hash, at the same cost),
        and a new hash when the stored one was made with other parameters."""
        if hashed is None:
            await asyncio.to_thread(self._hash.verify, secret, self._decoy)
            return False, None
        return await asyncio.to_thread(self._hash.verify_and_update, secret, hashed)
