"""The public keys access tokens are signed with (RFC 7517), for every service to verify them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from sipokat.identity import handlers
from sipokat.identity.entrypoints.common import Identity

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json")
async def jwks(context: Identity, response: Response) -> dict[str, Any]:
    """The signing key and, during a rotation, the previous one until its tokens expire.
    Public; verifiers cache it a few minutes, and fetch it again for a `kid` they do not know."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return await handlers.jwks(context)
