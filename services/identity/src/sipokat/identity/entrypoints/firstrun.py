"""`POST /v1/auth/first-admin`: the holder of an admin code (printed by `sipokat run` on the
first run, or by `sipokat accounts first-admin` on the host) becomes an admin with their own
name, phone number and password, and is signed in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import Field, StringConstraints

from sipokat.events.bounds import PersonName
from sipokat.identity.domain import Refused
from sipokat.identity.entrypoints.auth import Body, Password, Phone, Tokens, no_store, tokens
from sipokat.identity.entrypoints.common import (
    Identity,
    address_of,
    invalid,
    phone_taken,
    throttled,
)
from sipokat.identity.handlers import ActivationFailed, PhoneTaken, Throttled
from sipokat.identity.handlers.firstrun import claim_admin
from sipokat.runtime.messages import text
from sipokat.runtime.problems import Problem, problem_responses

router = APIRouter(prefix="/v1/auth", tags=["auth"])

POINTERS = {"phone_invalid": "/phone", "email_invalid": "/email"}


class FirstAdminBody(Body):
    code: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        examples=["ABCD-EFGH-JKMN"]
    )
    name: PersonName
    phone: Phone = Field(examples=["0812-3456-7890"])
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    password: Password = Field(description="the admin's password: at least 10 characters")


@router.post(
    "/first-admin",
    status_code=201,
    responses=problem_responses(
        {
            401: "The code is wrong, has expired or has been used",
            409: "The phone number has an account already",
            422: "Not a phone number or email, or the password breaks the password rule",
            429: "Too many failed attempts for this number or from this address (`Retry-After`)",
        }
    ),
)
async def first_admin(
    body: FirstAdminBody, context: Identity, request: Request, response: Response
) -> Tokens:
    """Claims an admin code: a new admin account with this name, phone number and password,
    signed in. The code is spent."""
    try:
        session = await claim_admin(
            context,
            code=body.code,
            name=body.name,
            raw_phone=body.phone,
            email=body.email,
            password=body.password,
            address=await address_of(request),
        )
    except Refused as refused:
        raise invalid(refused, POINTERS.get(refused.code, "/password")) from None
    except Throttled as exc:
        raise throttled(exc) from None
    except ActivationFailed:
        raise Problem(
            401,
            "Activation failed",
            text(
                "the code is wrong, or it has expired or been used",
                "kode salah, atau sudah kedaluwarsa atau terpakai",
            ),
        ) from None
    except PhoneTaken:
        raise phone_taken() from None
    no_store(response)
    return tokens(session)
