"""Intake's view of photos: who uploaded each one, and which reports' RTs show it.

A photo may be fetched by the RT that uploaded it and by whoever may see a report that shows it
(the report's lurah, camat, city office, admins). Every write is an `apply_once` under an id
derived from what it records, so a retried upload or submission records nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid5

from sipokat.events.catalogue import WilayahPath
from sipokat.events.envelope import Role
from sipokat.events.store import ViewStore, ViewTransaction
from sipokat.intake.images import CleanPhoto
from sipokat.runtime.auth import Principal
from sipokat.runtime.jurisdiction import covers

PHOTOS = "intake_photos"
_IDS = UUID("5b8f3c1e-7a4d-4e55-9a51-2f0d6c1b9e70")  # namespace of intake's derived apply ids


async def record_upload(views: ViewStore, photo: CleanPhoto, rt_code: str) -> None:
    async def effect(tx: ViewTransaction) -> None:
        doc = await tx.get(PHOTOS, photo.sha256) or {
            "sha256": photo.sha256,
            "content_type": photo.content_type,
            "bytes": len(photo.data),
            "width": photo.width,
            "height": photo.height,
            "uploaded_by": [],
            "shown_in": [],
        }
        doc["uploaded_by"] = sorted({*doc["uploaded_by"], rt_code})
        await tx.put(PHOTOS, photo.sha256, doc)

    await views.apply_once(uuid5(_IDS, f"upload {photo.sha256} {rt_code}"), effect)


async def photos_of_rt(views: ViewStore, shas: Iterable[str], rt_code: str) -> dict[str, str]:
    """sha256 → content type, for those of `shas` that this RT uploaded."""
    found: dict[str, str] = {}
    for sha in set(shas):
        doc = await views.get(PHOTOS, sha)
        if doc is not None and rt_code in doc["uploaded_by"]:
            found[sha] = doc["content_type"]
    return found


async def record_shown_in(
    views: ViewStore, report_id: UUID, revision: int, wilayah: WilayahPath, shas: Iterable[str]
) -> None:
    """Let those who see the report see its photos. Recorded before the report's event is
    stored: if that then fails, the RT's own supervisors may see a photo of a report that never
    came, which reveals nothing the RT did not mean to send them."""
    shas = sorted(set(shas))
    if not shas:
        return

    async def effect(tx: ViewTransaction) -> None:
        for sha in shas:
            doc = await tx.get(PHOTOS, sha)
            if doc is None:
                continue
            paths = {p["rt_code"]: p for p in doc["shown_in"]}
            paths[wilayah.rt_code] = wilayah.model_dump()
            doc["shown_in"] = [paths[k] for k in sorted(paths)]
            await tx.put(PHOTOS, sha, doc)

    await views.apply_once(uuid5(_IDS, f"shown {report_id} {revision}"), effect)


def may_see(principal: Principal, photo: dict[str, Any]) -> bool:
    if principal.role is Role.KETUA_RT and principal.wilayah in photo["uploaded_by"]:
        return True
    return any(covers(principal, WilayahPath(**path)) for path in photo["shown_in"])
