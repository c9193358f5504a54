"""What the routes need besides the runtime: the policy and the clock, set by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from sipokat.verification.domain import Policy


@dataclass(frozen=True)
class Verification:
    policy: Policy
    clock: Callable[[], datetime]


def verification_of(request: Request) -> Verification:
    context: Verification = request.app.state.verification
    return context
