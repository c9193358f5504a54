"""docs/asyncapi.yaml and the document the gateway serves pass the official AsyncAPI parser.

`validate.mjs` runs @asyncapi/parser (the parser `asyncapi validate` runs), pinned by this
folder's package-lock.json and installed by scripts/ensure-asyncapi-parser.sh, which `make test`
runs first; the fixture runs it too, so a plain `pytest` works. A machine without Node.js gets it
from Debian; if that fails the tests fail: never a skip.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sipokat.events.asyncapi import asyncapi_document
from sipokat.events.testing import TrackedTopology
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import service_client

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
DOC = ROOT / "docs" / "asyncapi.yaml"

Validate = Callable[[Path], subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def validate() -> Validate:
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "ensure-asyncapi-parser.sh")], check=True, timeout=900
    )
    node = shutil.which("node")
    assert node, "node is not installed and scripts/ensure-asyncapi-parser.sh did not install it"

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [node, str(HERE / "validate.mjs"), str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def assert_valid(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid AsyncAPI 3.0.0" in result.stdout


def test_the_committed_document_passes_the_official_parser(validate: Validate) -> None:
    assert_valid(validate(DOC))


@pytest.mark.broker
async def test_the_served_document_passes_the_official_parser(
    validate: Validate, tmp_path: Path, rabbitmq_url: str, topology: TrackedTopology
) -> None:
    settings = IntakeSettings(
        data_dir=tmp_path, rabbitmq_url=rabbitmq_url, broker_prefix=topology.prefix
    )
    async with service_client(create_app(settings)) as client:
        answer = await client.get("/v1/asyncapi.json")
    assert answer.status_code == 200
    served = tmp_path / "asyncapi.json"
    served.write_bytes(answer.content)
    assert_valid(validate(served))


def test_the_parser_refuses_a_delivery_mode_in_a_message_binding(
    validate: Validate, tmp_path: Path
) -> None:
    """The check is not vacuous: the mistake the document once held is an error to it."""
    document: dict[str, Any] = copy.deepcopy(asyncapi_document())
    for message in document["components"]["messages"].values():
        message["bindings"] = {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}}
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(document))
    result = validate(wrong)
    assert result.returncode == 1
    assert 'Property "deliveryMode" is not expected' in result.stdout
