"""Prometheus metrics every service exposes on GET /metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram

from sipokat.events.envelope import Envelope

HTTP_REQUESTS = Counter(
    "sipokat_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "sipokat_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_APPENDED = Counter("sipokat_events_appended_total", "Events stored", ["service", "type"])
EVENTS_PUBLISHED = Counter(
    "sipokat_events_published_total", "Events confirmed by the broker", ["service"]
)
EVENTS_CONSUMED = Counter(
    "sipokat_events_consumed_total",
    "Messages taken from the service queue, by outcome",
    ["service", "outcome"],
)
EVENT_DELAY = Histogram(
    "sipokat_event_delay_seconds",
    "From an event's occurred_at to its effect stored by this service's consumer",
    ["service"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
RELAY_LAG = Gauge("sipokat_relay_lag_events", "Stored events not yet published", ["service"])
CONSUMER_LAG = Gauge(
    "sipokat_consumer_lag_messages", "Messages waiting in the service queue", ["service"]
)
EVENTS_SET_ASIDE = Counter(
    "sipokat_events_set_aside_total",
    "Events a reader could not apply and set aside",
    ["service", "reader"],
)
SET_ASIDE = Gauge(
    "sipokat_set_aside_events", "Events set aside now, awaiting a retry", ["service", "reader"]
)
BROKER_CONNECTED = Gauge("sipokat_broker_connected", "1 while connected to RabbitMQ", ["link"])


def event_delay_observer(service: str) -> Callable[[Sequence[Envelope]], None]:
    """Observes `EVENT_DELAY` for events this service's consumer has handled: how far behind
    the events it is, in seconds (queues, relays and handlers on the way all add to it)."""
    delay = EVENT_DELAY.labels(service)

    def observe(envelopes: Sequence[Envelope]) -> None:
        now = datetime.now(UTC)
        for envelope in envelopes:
            delay.observe(max(0.0, (now - envelope.occurred_at).total_seconds()))

    return observe
