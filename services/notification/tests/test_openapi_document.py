"""Notification's OpenAPI document declares what its routes answer (found by the OpenAPI
fuzz: 401/403/404 and the inbox's 400 undeclared, the SSE stream documented as JSON)."""

from __future__ import annotations

from pathlib import Path

from sipokat.notification.bootstrap import create_app
from sipokat.notification.settings import NotificationSettings


def test_refusals_and_the_stream_are_declared(tmp_path: Path) -> None:
    paths = create_app(NotificationSettings(data_dir=tmp_path)).openapi()["paths"]
    inbox = paths["/v1/notifications/inbox"]["get"]["responses"]
    assert {"400", "401", "403"} <= set(inbox)
    assert "404" in paths["/v1/notifications/inbox/{item_id}/read"]["post"]["responses"]
    subscription = paths["/v1/webhooks/subscriptions/{subscription_id}"]["get"]["responses"]
    assert {"401", "403", "404"} <= set(subscription)
    assert "400" in paths["/v1/webhooks/subscriptions"]["post"]["responses"]  # unparseable body
    stream = paths["/v1/notifications/stream"]["get"]["responses"]["200"]["content"]
    assert "text/event-stream" in stream
