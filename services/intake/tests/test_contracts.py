"""The gateway serves the AsyncAPI document of docs/asyncapi.yaml, with the broker names of its
own deployment: the exchange and the event log of its `broker_prefix`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sipokat.events.broker.topology import Topology
from sipokat.events.testing import TrackedTopology
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import service_client

DOC = Path(__file__).parents[3] / "docs" / "asyncapi.yaml"


def _for_prefix(document: str, default: Topology, prefix: str) -> str:
    """The committed document as it reads for another prefix (every broker name renamed)."""
    return document.replace(default.exchange, Topology(prefix).exchange)


@pytest.mark.broker
async def test_the_gateway_serves_the_asyncapi_document_of_its_own_prefix(
    tmp_path: Path, rabbitmq_url: str, topology: TrackedTopology
) -> None:
    settings = IntakeSettings(
        data_dir=tmp_path, rabbitmq_url=rabbitmq_url, broker_prefix=topology.prefix
    )
    async with service_client(create_app(settings)) as client:
        answer = await client.get("/v1/asyncapi.json")
    assert answer.status_code == 200
    served = answer.json()

    for channel in served["channels"].values():
        assert channel["bindings"]["amqp"]["exchange"]["name"] == topology.exchange
    description = served["info"]["description"]
    assert f"`{topology.exchange}`" in description
    assert f"`{topology.event_log}`" in description
    assert "sipokat." not in json.dumps(served)
    # Apart from the names, the committed document.
    committed = json.dumps(yaml.safe_load(DOC.read_text()))
    assert served == json.loads(_for_prefix(committed, Topology(), topology.prefix))
