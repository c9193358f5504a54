"""What the bootstrap's context factory opens (the ledger's database, the webhooks' HTTP client)
is open while the service runs, checked for readiness, and closed when it stops."""

from __future__ import annotations

import pytest
from notification_support import started

from sipokat.events.store import StoreUnavailable
from sipokat.notification.settings import NotificationSettings


async def test_the_ledger_and_the_http_client_live_as_long_as_the_service(
    settings: NotificationSettings,
) -> None:
    async with started(settings) as service:
        context = service.context
        ready = await service.client.get("/health/ready")
        assert ready.json()["checks"]["ledger:reachable"][0]["status"] == "pass"
        await context.ledger.database.ping()
        assert not context.http.is_closed
    with pytest.raises(StoreUnavailable):
        await context.ledger.database.ping()
    assert context.http.is_closed
