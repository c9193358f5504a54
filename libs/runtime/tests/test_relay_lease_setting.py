"""The relay's lease, which bounds how long a standby replica waits, is a setting."""

from __future__ import annotations

from pathlib import Path

from sipokat.runtime.service import ServiceRuntime, database_context
from sipokat.runtime.settings import ServiceSettings


async def test_the_relay_holds_its_lease_as_long_as_the_setting_says(tmp_path: Path) -> None:
    settings = ServiceSettings(
        data_dir=tmp_path,
        relay_lease_seconds=2.5,
        # nothing listens here: the relay keeps trying to connect, which is all this test needs
        rabbitmq_url="amqp://guest:guest@127.0.0.1:1/",
    )
    runtime = ServiceRuntime("probe", settings, context=database_context, publishes=True)
    await runtime.start()
    try:
        assert runtime.relay is not None
        assert runtime.relay.lease_ttl == 2.5
    finally:
        await runtime.stop()
    assert ServiceSettings().relay_lease_seconds == 10.0
