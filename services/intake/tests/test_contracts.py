"""The gateway serves the AsyncAPI document that docs/asyncapi.yaml holds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sipokat.events.testing import TrackedTopology
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import service_client

DOC = Path(__file__).parents[3] / "docs" / "asyncapi.yaml"


@pytest.mark.broker
async def test_the_gateway_serves_the_asyncapi_document(
    tmp_path: Path, rabbitmq_url: str, topology: TrackedTopology
) -> None:
    settings = IntakeSettings(
        data_dir=tmp_path, rabbitmq_url=rabbitmq_url, broker_prefix=topology.prefix
    )
    app = create_app(settings)
    async with service_client(app) as client:
        answer = await client.get("/v1/asyncapi.json")
    assert answer.status_code == 200
    assert answer.json() == yaml.safe_load(DOC.read_text())
