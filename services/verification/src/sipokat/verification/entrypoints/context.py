"""What the routes need besides the runtime: the policy and the clock, set by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from sipokat.events.foldversion import BackgroundRebuild
from sipokat.runtime.problems import Problem
from sipokat.runtime.service import runtime_of
from sipokat.verification.domain import Policy
from sipokat.verification.views import FOLDED

RETRY_AFTER_SECONDS = 5
REBUILDING_DETAIL = "the views are being rebuilt from the event store; retry in a few seconds"
# The Indonesian of this module's and the reports routes' own texts, by the English, for the
# shared message catalogue (issue 19, item 11, moves it to libs/runtime).
TEXTS_ID = {
    "Rebuilding": "Sedang dibangun ulang",
    REBUILDING_DETAIL: "tampilan sedang dibangun ulang dari penyimpanan event; "
    "coba lagi beberapa detik lagi",
    "Rebuild running": "Pembangunan ulang sedang berjalan",
    "a rebuild is already running; wait for it": "pembangunan ulang sedang berjalan; tunggu "
    "sampai selesai",
}


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
        raise Problem(
            503,
            "Rebuilding",
            REBUILDING_DETAIL,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
