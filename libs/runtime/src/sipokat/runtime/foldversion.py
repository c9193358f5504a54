"""Readiness shows each read model's fold version (`sipokat.events.foldversion`).

`warn`, not `fail`, while the views are of another version than the code's fold (being rebuilt,
or waiting for a rebuild after one failed): the service answers what does not need them, so it
stays in the load balancer, as with set-aside events (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sipokat.events.foldversion import BackgroundRebuild, Versioned, stored_version
from sipokat.events.store.base import Database
from sipokat.runtime.health import CheckResult
from sipokat.runtime.messages import Text, text
from sipokat.runtime.problems import Problem


class FoldsOwner(Protocol):
    """What the check uses of a service's runtime (`ServiceRuntime` is one), named here so that
    this module, which the runtime imports, does not import it back."""

    @property
    def database(self) -> Database: ...

    @property
    def rebuilds(self) -> Mapping[str, BackgroundRebuild]: ...


async def fold_version_check(runtime: FoldsOwner, folded: Versioned) -> CheckResult:
    stored = await stored_version(runtime.database.views, folded)
    if stored == folded.version:
        return CheckResult("pass", observed_value=stored)
    rebuild = runtime.rebuilds.get(folded.name)
    doing = (
        "rebuilding"
        if rebuild is not None and rebuild.running
        else f"not rebuilt yet (`sipokat rebuild {folded.name}`, or restart)"
    )
    folded_by = f"version {stored}" if stored is not None else "no recorded version"
    return CheckResult(
        "warn",
        observed_value=stored,
        output=f"{folded.name} views folded by {folded_by}, the code's fold is "
        f"version {folded.version}: {doing}",
    )


RETRY_AFTER_SECONDS = 5


def rebuilding(detail: Text, **extensions: Any) -> Problem:
    """503 for a read while its views are refolded: a half-replayed view would answer wrongly."""
    return Problem(
        503,
        "Rebuilding",
        detail,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        **extensions,
    )


def rebuild_running() -> Problem:
    """409 for a second rebuild asked for while one runs."""
    return Problem(
        409,
        "Rebuild running",
        text(
            "a rebuild is already running; wait for it",
            "pembangunan ulang sedang berjalan; tunggu sampai selesai",
        ),
    )
