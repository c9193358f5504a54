"""Intake's one context: built by the bootstrap's factory once the store is open, read by every
route, and what it opened (the gateway's HTTP client, the photo decoding threads) closed when
the service stops. A test swaps the gateway's transport through `create_app`."""

from __future__ import annotations

import httpx
import pytest
from intake_support import png

from sipokat.intake.bootstrap import create_app
from sipokat.intake.handlers import IntakeContext
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

pytestmark = pytest.mark.broker


async def test_the_context_holds_what_the_factory_opened_until_the_service_stops(
    settings: IntakeSettings,
) -> None:
    asked: list[str] = []

    def analytics(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        body = b'{"answered_by": "the test\'s transport"}'
        # a stream, as from the network: the gateway passes the bytes through as they come
        return httpx.Response(
            200, headers={"content-type": "application/json"}, stream=httpx.ByteStream(body)
        )

    app = create_app(settings, transport=httpx.MockTransport(analytics))
    async with service_client(app) as client:
        context = runtime_of_app(app).context
        assert isinstance(context, IntakeContext)
        assert context.database is runtime_of_app(app).database
        answer = await client.get("/v1/analytics/summary", headers=bearer("pemkot", "16.73"))
        assert answer.json() == {"answered_by": "the test's transport"}
        assert asked == [f"{settings.analytics_url}/v1/analytics/summary"]
        assert not context.upstream.is_closed
    assert context.upstream.is_closed
    with pytest.raises(RuntimeError):  # the decoding threads are shut down
        await context.decoding.clean(png(), settings.max_photo_pixels)
    with pytest.raises(RuntimeError, match="not started"):
        runtime_of_app(app).context  # noqa: B018
