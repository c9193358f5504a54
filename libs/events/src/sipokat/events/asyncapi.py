"""The AsyncAPI 3.0 document of the events, generated from the pydantic models.

One channel per routing key on the events topic exchange (`sipokat.events` under the default
prefix: the document names the exchange and queues of the topology it is given), one message per
event type, and the payload schemas (the whole envelope, `data` typed) in `components.schemas`.
docs/asyncapi.yaml is this document written out for the default prefix; a test fails when the two
drift apart, and the official parser (@asyncapi/parser, tests/asyncapi) validates both it and the
document the gateway serves.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from sipokat.events.broker.topology import Topology
from sipokat.events.catalogue import ROUTING_KEYS
from sipokat.events.envelope import pinned_envelope
from sipokat.events.payloads import EVENT_TYPES

ASYNCAPI_VERSION = "3.0.0"
# The AMQP bindings (github.com/asyncapi/bindings, amqp/) the document is written against. In it,
# what a publisher sets on each message (delivery mode, mandatory) is an operation binding; the
# message binding holds only contentEncoding and messageType.
AMQP_BINDING_VERSION = "0.3.0"
REF = "#/components/schemas/{model}"

_DESCRIPTIONS = {
    "ReportSubmitted": "An RT head submitted a report: everything a reader needs, wilayah path "
    "included. Emitted by intake.",
    "ReportRevised": "After a rejection, the RT sent corrected content; the report goes back to "
    "the first tier. Emitted by intake.",
    "ReportApproved": "A tier approved the report; carries the next tier and its due time. "
    "Emitted by verification.",
    "ReportRejected": "A tier rejected the report with a reason code and a note. Emitted by "
    "verification.",
    "ReportVerified": "The last tier approved: the report now counts. Emitted by verification.",
    "VerificationOverdue": "A tier missed its deadline (once per tier and round). Emitted by "
    "verification.",
    "PostStarted": "An account took up a post: the role, the wilayah (none for admin and "
    "integrator), the holder's account id and when. Never a name, phone number or email. "
    "Emitted by identity.",
    "PostEnded": "The holder left the post (a new RT head elected, a lurah moved): every token "
    "issued for it until `ended_at` is refused from then on. The same fields as PostStarted, "
    "and `ended_at`. Emitted by identity.",
}


def _channel_id(routing_key: str) -> str:
    head, *rest = routing_key.split(".")
    return head + "".join(part.capitalize() for part in rest)


def asyncapi_document(topology: Topology | None = None) -> dict[str, Any]:
    topology = topology or Topology()
    envelopes = {name: pinned_envelope(cls) for name, cls in EVENT_TYPES.items()}
    _, definitions = models_json_schema(
        [(model, "serialization") for model in envelopes.values()], ref_template=REF
    )
    exchange = {
        "name": topology.exchange,
        "type": "topic",
        "durable": True,
        "autoDelete": False,
        "vhost": "/",
    }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event_type, routing_keys in ROUTING_KEYS.items():
        for routing_key in routing_keys:
            channel_id = _channel_id(routing_key)
            channels[channel_id] = {
                "address": routing_key,
                "title": routing_key,
                "messages": {event_type: {"$ref": f"#/components/messages/{event_type}"}},
                "bindings": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": dict(exchange),
                        "bindingVersion": AMQP_BINDING_VERSION,
                    }
                },
            }
            operations[f"publish_{channel_id}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{event_type}"}],
                # As the relay publishes: persistent, and returned if no queue is bound.
                "bindings": {
                    "amqp": {
                        "deliveryMode": 2,
                        "mandatory": True,
                        "bindingVersion": AMQP_BINDING_VERSION,
                    }
                },
            }
    messages = {
        event_type: {
            "name": event_type,
            "title": event_type,
            "summary": _DESCRIPTIONS[event_type],
            "contentType": "application/json",
            "payload": {"$ref": REF.format(model=f"{event_type}Envelope")},
            "correlationId": {
                "description": "The request that started the chain",
                "location": "$message.payload#/correlation_id",
            },
        }
        for event_type in EVENT_TYPES
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Sipokat events",
            "version": "1.0.0",
            "description": (
                "Every state change of a report, and every post that starts or ends (which "
                "wilayah gained or lost a holder, never who), as published on the "
                f"`{topology.exchange}` topic exchange. Messages are persistent JSON envelopes; "
                "`message_id` is the event_id (deduplicate on it: delivery is at least once). "
                f"Every event is also kept in the stream queue `{topology.event_log}` (bound "
                "to `#`), which can be read from any offset."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The platform's RabbitMQ; bind your own queue to the exchange.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": definitions["$defs"]},
    }
