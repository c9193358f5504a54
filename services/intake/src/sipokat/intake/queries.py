"""Intake's view of photos, the read side: who uploaded each one, and which reports' RTs show it.

A photo may be fetched by the RT that uploaded it and by whoever may see a report that shows it
(the report's lurah, camat, city office, admins). Its writers are in handlers.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sipokat.events.catalogue import WilayahPath
from sipokat.events.envelope import Role
from sipokat.events.store import Document, ViewStore
from sipokat.intake.domain import CleanPhoto
from sipokat.runtime.auth import Principal
from sipokat.runtime.jurisdiction import covers

PHOTOS = "intake_photos"


def photo_document(photo: CleanPhoto) -> Document:
    """A photo's document before anyone is recorded as its uploader or as showing it."""
    return {
        "sha256": photo.sha256,
        "content_type": photo.content_type,
        "bytes": len(photo.data),
        "width": photo.width,
        "height": photo.height,
        "uploaded_by": [],
        "shown_in": [],
    }


async def photos_of_rt(views: ViewStore, shas: Iterable[str], rt_code: str) -> dict[str, str]:
    """sha256 → content type, for those of `shas` that this RT uploaded."""
    found: dict[str, str] = {}
    for sha in set(shas):
        doc = await views.get(PHOTOS, sha)
        if doc is not None and rt_code in doc["uploaded_by"]:
            found[sha] = doc["content_type"]
    return found


def may_see(principal: Principal, photo: dict[str, Any]) -> bool:
    if principal.role is Role.KETUA_RT and principal.wilayah in photo["uploaded_by"]:
        return True
    return any(covers(principal, WilayahPath(**path)) for path in photo["shown_in"])
