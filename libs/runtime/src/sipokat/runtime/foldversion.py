"""Readiness shows each read model's fold version (`sipokat.events.foldversion`).

`warn`, not `fail`, while the views are of another version than the code's fold (being rebuilt,
or waiting for a rebuild after one failed): the service answers what does not need them, so it
stays in the load balancer, as with set-aside events (docs/decisions.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sipokat.events.foldversion import Versioned, stored_version
from sipokat.runtime.health import CheckResult

if TYPE_CHECKING:
    from sipokat.runtime.service import ServiceRuntime


async def fold_version_check(runtime: ServiceRuntime, folded: Versioned) -> CheckResult:
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
