"""POST /v1/attachments (an RT head uploads a photo) and GET /v1/attachments/{sha256}.

A photo is fetched with the bearer token of someone who may see it, or with a signed link
(`?exp=&sig=`, `sipokat.runtime.media`) that verification hands to such a person beside the
report: an `<img>` sends no Authorization header, and the link is the proof instead.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from sipokat.events.envelope import Role
from sipokat.intake import handlers
from sipokat.intake.entrypoints.common import PROBLEM, Intake
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.auth import Principal, authenticate, require_roles
from sipokat.runtime.limits import TokenBuckets, rate_limit
from sipokat.runtime.media import SIGNATURE_PATTERN, MediaSigner
from sipokat.runtime.messages import text
from sipokat.runtime.problems import Problem


class Attachment(BaseModel):
    sha256: str
    content_type: str
    bytes: int
    width: int
    height: int
    url: str


def router_for(settings: IntakeSettings) -> APIRouter:
    router = APIRouter(prefix="/v1/attachments", tags=["attachments"])
    signer = MediaSigner(settings.media_url_secret.get_secret_value())
    uploads = TokenBuckets(settings.upload_rate_per_second, settings.upload_burst)
    errors: dict[int | str, dict[str, Any]] = {
        401: {"description": "No valid bearer token", **PROBLEM},
        403: {"description": "Not an RT head of an RT in the directory", **PROBLEM},
        413: {"description": f"Larger than {settings.max_photo_bytes} bytes", **PROBLEM},
        415: {"description": "Not a JPEG, PNG or WebP image (judged by decoding)", **PROBLEM},
        422: {"description": "Too many pixels, or broken image data", **PROBLEM},
        429: {"description": "Too many uploads; see Retry-After", **PROBLEM},
    }

    @router.post(
        "",
        status_code=201,
        response_model=Attachment,
        responses=errors,
        summary="Upload a photo; reference it in a report by its sha256",
        dependencies=[Depends(rate_limit(uploads, "upload"))],
    )
    async def upload(
        file: Annotated[UploadFile, File(description="A JPEG, PNG or WebP photo")],
        principal: Annotated[Principal, Depends(require_roles(Role.KETUA_RT))],
        context: Intake,
    ) -> JSONResponse:
        """The photo is decoded, refused beyond the pixel limit, and re-encoded without EXIF
        (no GPS position survives). It is stored by the sha256 of the stored bytes: uploading
        the same photo again gives the same answer and stores nothing twice."""
        data = await file.read(settings.max_photo_bytes + 1)
        if len(data) > settings.max_photo_bytes:
            raise Problem(
                413,
                "Photo too large",
                text(
                    "a photo may have at most {most} bytes",
                    "foto paling besar {most} byte",
                    most=settings.max_photo_bytes,
                ),
            )
        photo = await handlers.upload_photo(context, principal, data)
        url = f"/v1/attachments/{photo.sha256}"
        body = Attachment(
            sha256=photo.sha256,
            content_type=photo.content_type,
            bytes=len(photo.data),
            width=photo.width,
            height=photo.height,
            url=url,
        )
        return JSONResponse(body.model_dump(), status_code=201, headers={"Location": url})

    @router.get(
        "/{sha256}",
        responses={
            200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}},
            401: {"description": "No valid bearer token, and no signed link", **PROBLEM},
            403: {"description": "A signed link that is wrong or has expired", **PROBLEM},
            404: {"description": "No such photo, or not the caller's to see", **PROBLEM},
        },
        response_class=Response,
        summary="A stored photo, for its RT and whoever may see a report showing it",
    )
    async def fetch(
        sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
        request: Request,
        context: Intake,
        exp: Annotated[
            int | None, Query(ge=0, description="signed link: its end, a Unix time")
        ] = None,
        sig: Annotated[
            str | None, Query(pattern=SIGNATURE_PATTERN, description="signed link: its HMAC")
        ] = None,
    ) -> Response:
        """With a bearer token: for the RT that uploaded it and whoever may see a report showing
        it. Without one: with the signed link (`url` of a photo in `GET /v1/reports` and
        `GET /v1/reports/{id}`), valid about an hour."""
        if exp is None and sig is None:
            principal = await authenticate(request)
            data, content_type = await handlers.fetch_photo(context, principal, sha256)
        elif exp is not None and sig is not None and signer.verify(sha256, exp, sig, time.time()):
            data, content_type = await handlers.fetch_signed_photo(context, sha256)
        else:
            raise Problem(
                403,
                "Forbidden",
                text(
                    "this photo link is wrong or has expired; reload the report for a new one",
                    "tautan foto ini salah atau sudah kedaluwarsa; muat ulang laporan untuk "
                    "tautan baru",
                ),
            )
        return Response(
            data,
            media_type=content_type,
            headers={
                "ETag": f'"{sha256}"',
                # Content-addressed bytes never change, but who may see them may: kept by the
                # caller's own browser for an hour, the life of a signed link.
                "Cache-Control": "private, max-age=3600",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return router
