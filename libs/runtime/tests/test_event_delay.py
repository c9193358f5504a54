from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from sipokat.events.testing import make_submitted
from sipokat.runtime.metrics import event_delay_observer


def _sample(name: str, service: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": service}) or 0.0


def test_the_delay_of_each_handled_event_is_observed_from_its_occurred_at() -> None:
    service = "delay-test"
    observe = event_delay_observer(service)
    now = datetime.now(UTC)
    late = make_submitted().model_copy(update={"occurred_at": now - timedelta(seconds=20)})
    fresh = make_submitted().model_copy(update={"occurred_at": now})
    # A clock a little ahead of this one must not give a negative delay.
    ahead = make_submitted().model_copy(update={"occurred_at": now + timedelta(seconds=5)})

    observe([late, fresh, ahead])

    assert _sample("sipokat_event_delay_seconds_count", service) == 3
    assert 20 <= _sample("sipokat_event_delay_seconds_sum", service) < 25
    bucket = {"service": service, "le": "10.0"}
    assert REGISTRY.get_sample_value("sipokat_event_delay_seconds_bucket", bucket) == 2
