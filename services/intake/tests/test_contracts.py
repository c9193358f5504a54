"""The gateway serves the AsyncAPI document of docs/asyncapi.yaml, with the broker names of its
own deployment: the exchange and the event log of its `broker_prefix`."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import yaml

from sipokat.events.broker.topology import Topology
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import in_memory, service_client

DOC = Path(__file__).parents[3] / "docs" / "asyncapi.yaml"


def _for_prefix(document: str, default: Topology, prefix: str) -> str:
    """The committed document as it reads for another prefix (every broker name renamed)."""
    return document.replace(default.exchange, Topology(prefix).exchange)


async def test_the_gateway_serves_the_asyncapi_document_of_its_own_prefix(
    memory_settings: IntakeSettings,
) -> None:
    # The names are the deployment's; the document is served with no broker to reach.
    topology = Topology(f"test-{uuid4().hex[:12]}")
    app = create_app(memory_settings.model_copy(update={"broker_prefix": topology.prefix}))
    in_memory(app)
    async with service_client(app) as client:
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
