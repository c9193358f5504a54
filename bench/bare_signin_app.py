"""The baseline for the sign-in benchmark: a bare FastAPI endpoint of the same shape as identity's
POST /v1/auth/signin (the same body validated, a token-shaped JSON answered), and no password
hashing, no store, no signing."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

app = FastAPI()


class SignInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


@app.post("/v1/auth/signin")
async def sign_in(body: SignInBody, response: Response) -> dict[str, object]:
    response.headers["Cache-Control"] = "no-store"
    return {
        "access_token": "a" * 600,  # about an RS256 token's length
        "token_type": "Bearer",
        "expires_in": 600,
        "refresh_token": "r" * 43,
        "session_id": "00000000-0000-0000-0000-000000000000",
    }
