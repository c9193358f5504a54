"""What the routes need besides the runtime: the policy and the clock, set by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from sipokat.events.foldversion import BackgroundRebuild
from sipokat.runtime.foldversion import rebuilding
from sipokat.runtime.messages import text
from sipokat.runtime.service import runtime_of
from sipokat.verification.domain import Policy
from sipokat.verification.views import FOLDED

REBUILDING_DETAIL = text(
    "the views are being rebuilt from the event store; retry in a few seconds",
    "tampilan sedang dibangun ulang dari penyimpanan event; coba lagi beberapa detik lagi",
)


@dataclass(frozen=True)
class Verification:
    policy: Policy
    clock: Callable[[], datetime]


def verification_of(request: Request) -> Verification:
    context: Verification = request.app.state.verification
    return context


def views_rebuild(request: Request) -> BackgroundRebuild:
    return runtime_of(request).rebuilds[FOLDED.name]


def not_rebuilding(request: Request) -> None:
    """503 with Retry-After while the views are rebuilt here: a half-folded view would answer
    404 for reports it has not reached yet."""
    if views_rebuild(request).running:
        raise rebuilding(REBUILDING_DETAIL)
