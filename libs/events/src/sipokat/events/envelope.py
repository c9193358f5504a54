"""The one envelope every event travels in (DESIGN §3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Literal, Union
from uuid import UUID

import uuid6
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)

from sipokat.events.bounds import AreaCode, ServiceName, Subject, Token
from sipokat.events.payloads import EVENT_TYPES, resolve_payload
from sipokat.events.payloads import EventData as EventData  # `Envelope.data`'s type, kept here
from sipokat.events.repair import mend_stored

_set_attribute = object.__setattr__  # as `BaseModel.model_construct` sets them on a frozen model


def new_event_id() -> UUID:
    """A time-ordered UUIDv7: sorts by creation time and is the idempotency key everywhere."""
    return UUID(int=uuid6.uuid7().int)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    KETUA_RT = "ketua_rt"
    LURAH = "lurah"
    CAMAT = "camat"
    PEMKOT = "pemkot"
    ADMIN = "admin"
    INTEGRATOR = "integrator"
    # A service acting on its own (a deadline passing, a replay), not on a person's behalf.
    SYSTEM = "system"


class Actor(BaseModel):
    """Who acted. `wilayah` is the code of the area the actor answers for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: Subject
    role: Role
    wilayah: AreaCode | None = None


class EnvelopeFields(BaseModel):
    """The envelope's fields, without `Envelope`'s validators (see `pinned_envelope`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=new_event_id)
    type: str
    schema_version: int = Field(ge=1)
    stream_id: Token
    stream_version: int = Field(ge=1)
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    source: ServiceName
    correlation_id: Token
    causation_id: UUID | None = None
    actor: Actor
    data: SerializeAsAny[EventData]


class Envelope(EnvelopeFields):
    """An event as it is stored and published.

    Parsing (`Envelope.from_json`, or `model_validate_json`) resolves `data` to its typed payload
    through the registry of payload classes (`sipokat.events.payloads`, where the catalogue
    registers its classes), upcasting older schema versions first, so readers always see the
    current shape.
    """

    @model_validator(mode="before")
    @classmethod
    def _resolve_payload(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and not isinstance(raw.get("data"), EventData):
            return resolve_payload(raw)
        return raw

    @model_validator(mode="after")
    def _consistent_with_payload(self) -> Envelope:
        # A typed payload passed in directly is not checked by `_resolve_payload`: without this,
        # an envelope whose `type`, version or stream disagree with its payload would be stored
        # and published, and then no reader could parse it (a poison event in the outbox).
        data = self.data
        if EVENT_TYPES.get(self.type) is not type(data):
            raise ValueError(
                f"type {self.type!r} does not match payload {type(data).__name__} "
                "(or the payload is not in the catalogue)"
            )
        if self.schema_version != data.schema_version:
            raise ValueError(
                f"schema_version {self.schema_version} does not match {self.type} "
                f"v{data.schema_version}"
            )
        if self.stream_id != data.stream_id():
            raise ValueError(
                f"stream_id {self.stream_id!r} does not match the payload's {data.stream_id()!r}"
            )
        return self

    @property
    def routing_key(self) -> str:
        return self.data.routing_key()

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        """`model_validate_json`'s result, about three times faster for current events.

        `model_validate_json` turns the JSON into Python objects before validating (its
        payload is typed by a Python validator); here the JSON is validated in one pass by
        pydantic-core against the envelopes pinned to each registered payload class.
        Whatever that does not take (an older schema version to upcast, an unknown type,
        any invalid input) goes through `model_validate_json`, which also words the errors.
        """
        try:
            pinned = _pinned_envelopes().validate_json(raw)
        except ValidationError:
            return cls._parse_stored(raw)
        data = pinned.data
        if (
            EVENT_TYPES.get(pinned.type) is not type(data)
            or pinned.schema_version != data.schema_version
            or pinned.stream_id != data.stream_id()
        ):
            return cls._parse_stored(raw)
        # `model_construct` without its per-field loop (a third of the parse): the pinned
        # envelope's fields are exactly this class's, validated and complete.
        envelope = cls.__new__(cls)
        _set_attribute(envelope, "__dict__", pinned.__dict__)
        _set_attribute(envelope, "__pydantic_fields_set__", pinned.model_fields_set)
        _set_attribute(envelope, "__pydantic_extra__", None)
        _set_attribute(envelope, "__pydantic_private__", None)
        return envelope

    @classmethod
    def _parse_stored(cls, raw: bytes | str) -> Envelope:
        """`model_validate_json`, and for an event stored before its fields were bounded, the
        same event with what a reader can mend mended (`sipokat.events.repair`)."""
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            try:
                body = json.loads(raw)
            except ValueError:
                raise exc from None
            mended = mend_stored(body, cls.model_validate, exc.errors())
            if mended is None:
                raise
            return mended

    @classmethod
    def wrap(
        cls,
        data: EventData,
        *,
        stream_version: int,
        source: str,
        actor: Actor,
        correlation_id: str,
        causation_id: UUID | None = None,
        occurred_at: datetime | None = None,
        event_id: UUID | None = None,
    ) -> Envelope:
        """Build the envelope for a payload; type, schema version and stream come from it."""
        return cls(
            event_id=event_id or new_event_id(),
            type=data.event_type,
            schema_version=data.schema_version,
            stream_id=data.stream_id(),
            stream_version=stream_version,
            source=source,
            actor=actor,
            correlation_id=correlation_id,
            causation_id=causation_id,
            occurred_at=occurred_at or utc_now(),
            data=data,
        )


def pinned_envelope(payload_cls: type[EventData]) -> type[EnvelopeFields]:
    """The envelope with `type`, `schema_version` and `data` pinned to one payload class."""
    pinned: dict[str, Any] = {
        "type": (Literal[payload_cls.event_type], ...),
        "schema_version": (Literal[payload_cls.schema_version], ...),
        "data": (payload_cls, ...),
    }
    return create_model(f"{payload_cls.event_type}Envelope", __base__=EnvelopeFields, **pinned)


@cache
def _pinned_envelopes() -> TypeAdapter[EnvelopeFields]:
    # Built once: a payload class registered or re-versioned later misses here and is parsed
    # by `model_validate_json` (`from_json` checks the registry after every parse).
    pinned = tuple(pinned_envelope(cls) for cls in EVENT_TYPES.values())
    union: Any = Annotated[Union[pinned], Field(discriminator="type")]  # noqa: UP007
    return TypeAdapter(union if len(pinned) > 1 else pinned[0])
