"""Schema evolution (upcasters) and the JSON Schema export. No I/O."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from sipokat.events import EVENT_TYPES, Envelope, ReportSubmitted, payloads, upcaster
from sipokat.events.schema import event_json_schemas, write_json_schemas
from sipokat.events.testing import make_submitted, sample_events


@pytest.fixture
def isolated_upcasters(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[Any, Any]]:
    """A private upcaster registry for the test; the real one is restored afterwards."""
    registry: dict[Any, Any] = dict(payloads._UPCASTERS)
    monkeypatch.setattr(payloads, "_UPCASTERS", registry)
    yield registry


def _legacy_v1_body() -> bytes:
    """A ReportSubmitted as a v1 writer stored it, in a shape v2 (below) no longer accepts: the
    title sat at the top of `data` as `judul`."""
    raw = json.loads(make_submitted().to_json())
    raw["schema_version"] = 1
    raw["data"]["judul"] = raw["data"]["content"].pop("title")
    return json.dumps(raw).encode()


def test_old_events_are_upcast_to_the_current_version(
    isolated_upcasters: dict[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ReportSubmitted, "schema_version", 2)
    calls = []

    @upcaster("ReportSubmitted", from_version=1)
    def move_title(data: dict[str, Any]) -> dict[str, Any]:
        calls.append(data)
        data = dict(data)
        title = data.pop("judul")
        return {**data, "content": {**data["content"], "title": title}}

    assert isolated_upcasters[("ReportSubmitted", 1)] is move_title
    body = _legacy_v1_body()
    envelope = Envelope.from_json(body)
    assert len(calls) == 1
    assert envelope.schema_version == 2
    assert isinstance(envelope.data, ReportSubmitted)
    assert envelope.data.content.title == json.loads(body)["data"]["judul"]
    # the upcast envelope serialises as the current version and parses without upcasting
    assert json.loads(envelope.to_json())["schema_version"] == 2
    assert Envelope.from_json(envelope.to_json()) == envelope
    assert len(calls) == 1
    # new events are written at the current version
    assert make_submitted().schema_version == 2


def test_upcasters_chain_across_versions(
    isolated_upcasters: dict[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ReportSubmitted, "schema_version", 3)
    steps: list[int] = []

    @upcaster("ReportSubmitted", 1)
    def one(data: dict[str, Any]) -> dict[str, Any]:
        steps.append(1)
        return {**data, "v2_marker": True}

    @upcaster("ReportSubmitted", 2)
    def two(data: dict[str, Any]) -> dict[str, Any]:
        steps.append(2)
        assert data.pop("v2_marker") is True
        return data

    raw = json.loads(make_submitted().to_json())
    envelope = Envelope.model_validate({**raw, "schema_version": 1})
    assert steps == [1, 2]
    assert envelope.schema_version == 3


def test_missing_upcaster_is_a_clear_error(
    isolated_upcasters: dict[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = make_submitted().to_json()  # v1
    monkeypatch.setattr(ReportSubmitted, "schema_version", 2)
    with pytest.raises(ValidationError, match="no upcaster for ReportSubmitted v1"):
        Envelope.model_validate_json(body)


def test_newer_version_than_the_reader_is_rejected() -> None:
    raw = json.loads(make_submitted().to_json())
    raw["schema_version"] = 2
    with pytest.raises(ValidationError, match="newer than this reader"):
        Envelope.model_validate(raw)


def test_registry_is_restored_after_the_tests_above() -> None:
    # The upcasters the tests registered lived in a private registry only.
    assert ("ReportSubmitted", 1) not in payloads._UPCASTERS
    assert ("ReportSubmitted", 2) not in payloads._UPCASTERS
    assert ReportSubmitted.schema_version == 1


# ---------------------------------------------------------------- JSON Schema


def test_json_schema_covers_every_event_type() -> None:
    schemas = event_json_schemas()
    assert set(schemas) == set(EVENT_TYPES)
    for name, schema in schemas.items():
        props = schema["properties"]
        assert props["type"]["const"] == name
        assert props["schema_version"]["const"] == EVENT_TYPES[name].schema_version
        assert schema["additionalProperties"] is False
        for required in (
            "type",
            "schema_version",
            "stream_id",
            "stream_version",
            "source",
            "correlation_id",
            "actor",
            "data",
        ):
            assert required in schema["required"], (name, required)
        data_ref = props["data"]["$ref"].rsplit("/", 1)[-1]
        payload = schema["$defs"][data_ref]
        assert set(payload["properties"]) == set(EVENT_TYPES[name].model_fields)
        ids = {"report_id", "wilayah"} if "report_id" in payload["properties"] else {"account_id"}
        assert ids <= set(payload["required"])
        json.dumps(schema)  # plain JSON


def test_json_schema_tracks_schema_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ReportSubmitted, "schema_version", 2)
    schema = event_json_schemas()["ReportSubmitted"]
    assert schema["properties"]["schema_version"]["const"] == 2


def _validate(instance: Any, schema: dict[str, Any]) -> None:
    """jsonschema when the venv has it; else a small check of the parts our schemas use."""
    try:
        import jsonschema
    except ImportError:
        _mini_validate(instance, schema, schema, "$")
    else:
        jsonschema.validate(instance, schema)


def _mini_validate(value: Any, node: dict[str, Any], root: dict[str, Any], at: str) -> None:
    if "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in node:
        errors = []
        for option in node["anyOf"]:
            try:
                _mini_validate(value, option, root, at)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{at}: matches no option: {errors}")
    if "const" in node:
        assert value == node["const"], at
    if "enum" in node:
        assert value in node["enum"], at
    kind = node.get("type")
    types = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "null": type(None),
    }
    if kind:
        assert isinstance(value, types[kind]), f"{at}: {value!r} is not {kind}"
    if kind == "object":
        for name in node.get("required", []):
            assert name in value, f"{at}: missing {name}"
        props = node.get("properties", {})
        if node.get("additionalProperties") is False:
            assert set(value) <= set(props), f"{at}: extra {set(value) - set(props)}"
        for name, item in value.items():
            if name in props:
                _mini_validate(item, props[name], root, f"{at}.{name}")
    if kind == "array" and "items" in node:
        for i, item in enumerate(value):
            _mini_validate(item, node["items"], root, f"{at}[{i}]")


@pytest.mark.parametrize("envelope", sample_events(), ids=lambda e: f"{e.type}-{e.stream_version}")
def test_serialized_envelopes_validate_against_their_schema(envelope: Envelope) -> None:
    schema = event_json_schemas()[envelope.type]
    _validate(json.loads(envelope.to_json()), schema)


def test_schema_rejects_a_wrong_envelope() -> None:
    schema = event_json_schemas()["ReportSubmitted"]
    raw = json.loads(make_submitted().to_json())
    raw["type"] = "ReportApproved"
    with pytest.raises(Exception):  # noqa: B017 - jsonschema's or our AssertionError
        _validate(raw, schema)
    raw = json.loads(make_submitted().to_json())
    del raw["data"]["wilayah"]
    with pytest.raises(Exception):  # noqa: B017
        _validate(raw, schema)


def test_write_json_schemas(tmp_path: Path) -> None:
    written = write_json_schemas(tmp_path / "schemas")
    assert sorted(p.name for p in written) == sorted(f"{n}.schema.json" for n in EVENT_TYPES)
    for path in written:
        event_type = path.name.removesuffix(".schema.json")
        assert json.loads(path.read_text())["title"] == f"{event_type}Envelope"
