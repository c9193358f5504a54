"""docs/asyncapi.yaml is the document generated from the event models, and it is well formed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sipokat.events import EVENT_TYPES, ROUTING_KEYS
from sipokat.events.asyncapi import asyncapi_document
from sipokat.ops.asyncapi_file import render_asyncapi

DOC = Path(__file__).parents[2] / "docs" / "asyncapi.yaml"


def test_the_committed_document_matches_the_models() -> None:
    assert DOC.read_text() == render_asyncapi(), (
        "docs/asyncapi.yaml drifted from the event models: run `uv run sipokat asyncapi`"
    )


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_every_reference_resolves_and_every_routing_key_has_a_channel() -> None:
    document = yaml.safe_load(DOC.read_text())
    assert document["asyncapi"] == "3.0.0"
    for ref in _refs(document):
        assert _resolve(document, ref) is not None, ref
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {key for keys in ROUTING_KEYS.values() for key in keys}
    assert set(document["components"]["messages"]) == set(EVENT_TYPES)
    for channel in document["channels"].values():
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "sipokat.events"


def test_payloads_are_the_full_envelopes_with_typed_data() -> None:
    schemas = asyncapi_document()["components"]["schemas"]
    submitted = schemas["ReportSubmittedEnvelope"]
    assert {"event_id", "stream_id", "correlation_id", "actor", "data"} <= set(
        submitted["properties"]
    )
    assert submitted["properties"]["data"]["$ref"] == "#/components/schemas/ReportSubmitted"
    assert "wilayah" in schemas["ReportSubmitted"]["properties"]
