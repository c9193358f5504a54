"""JSON Schema of every event, envelope included, for integrators and the AsyncAPI document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import create_model

from sipokat.events.catalogue import EVENT_TYPES
from sipokat.events.envelope import Envelope, EventData


def envelope_model(payload_cls: type[EventData]) -> type[Envelope]:
    """The envelope with `type`, `schema_version` and `data` pinned to one payload class."""
    pinned: dict[str, Any] = {
        "type": (Literal[payload_cls.event_type], ...),
        "schema_version": (Literal[payload_cls.schema_version], ...),
        "data": (payload_cls, ...),
    }
    return create_model(f"{payload_cls.event_type}Envelope", __base__=Envelope, **pinned)


def event_json_schemas() -> dict[str, dict[str, Any]]:
    return {
        name: envelope_model(cls).model_json_schema(mode="serialization")
        for name, cls in EVENT_TYPES.items()
    }


def write_json_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in event_json_schemas().items():
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written
