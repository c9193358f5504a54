"""Typed payloads: their base, the registry of payload classes by type name, and upcasting.

The envelope parses through this registry; the catalogue (`sipokat.events.catalogue`) registers
its classes here when it is imported, which `sipokat.events` does before anything else, so the
envelope never imports the catalogue (it sits below it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails


class EventData(BaseModel):
    """Base of every typed payload. Subclasses are registered with `register`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def routing_key(self) -> str:
        raise NotImplementedError

    def stream_id(self) -> str:
        raise NotImplementedError


EVENT_TYPES: dict[str, type[EventData]] = {}
"""Every registered payload class by its type name (the catalogue's, once it is imported)."""


class UnknownEventType(ValueError):
    pass


def register(*classes: type[EventData]) -> None:
    """Make payload classes parseable by the envelope, each under its `event_type`."""
    for cls in classes:
        known = EVENT_TYPES.setdefault(cls.event_type, cls)
        if known is not cls:
            raise ValueError(f"event type {cls.event_type!r} is already {known.__qualname__}")


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that turns `data` of `from_version` into `from_version + 1`.

    Schemas evolve by adding optional fields; a breaking change bumps the payload class's
    `schema_version` and registers an upcaster here, so old events in the log still parse.
    """

    def register_step(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(event_type, from_version)] = fn
        return fn

    return register_step


def resolve_payload(raw: dict[str, Any]) -> dict[str, Any]:
    """Envelope pre-validation: upcast `data` to the current version and type it."""
    event_type = raw.get("type")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        raise UnknownEventType(f"unknown event type {event_type!r}")
    payload_cls = EVENT_TYPES[event_type]
    version = raw.get("schema_version")
    data = raw.get("data")
    if not isinstance(version, int) or not isinstance(data, dict):
        return raw  # let field validation report what is missing
    if version > payload_cls.schema_version:
        raise ValueError(
            f"{event_type} schema_version {version} is newer than this reader "
            f"({payload_cls.schema_version})"
        )
    while version < payload_cls.schema_version:
        step = _UPCASTERS.get((event_type, version))
        if step is None:
            raise ValueError(f"no upcaster for {event_type} v{version}")
        data, version = step(data), version + 1
    try:
        payload = payload_cls.model_validate(data)
    except ValidationError as exc:
        # Raised from here, the payload's errors would be reported at the envelope's top level
        # ("tier: Field required"); put them where they are: under `data`.
        raise ValidationError.from_exception_data(
            exc.title,
            [
                InitErrorDetails(
                    type=error["type"],
                    loc=("data", *error["loc"]),
                    input=error["input"],
                    **({"ctx": error["ctx"]} if "ctx" in error else {}),  # type: ignore[typeddict-item]
                )
                for error in exc.errors()
            ],
        ) from None
    return {**raw, "schema_version": version, "data": payload}
