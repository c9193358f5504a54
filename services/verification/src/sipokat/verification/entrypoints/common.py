"""What the routes share: the service's context, and the 503 while its views are rebuilt."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from sipokat.runtime.foldversion import rebuilding
from sipokat.runtime.messages import text
from sipokat.runtime.service import context_of
from sipokat.verification.handlers import VerificationContext

Verification = Annotated[VerificationContext, Depends(context_of(VerificationContext))]

REBUILDING_DETAIL = text(
    "the views are being rebuilt from the event store; retry in a few seconds",
    "tampilan sedang dibangun ulang dari penyimpanan event; coba lagi beberapa detik lagi",
)


def not_rebuilding(context: VerificationContext) -> None:
    """503 with Retry-After while the views are rebuilt here: a half-folded view would answer
    404 for reports it has not reached yet."""
    if context.views_rebuild.running:
        raise rebuilding(REBUILDING_DETAIL)
