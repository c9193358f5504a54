"""JSON Schema of every event, envelope included, for integrators and the AsyncAPI document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sipokat.events.envelope import pinned_envelope
from sipokat.events.payloads import EVENT_TYPES


def event_json_schemas() -> dict[str, dict[str, Any]]:
    return {
        name: pinned_envelope(cls).model_json_schema(mode="serialization")
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
