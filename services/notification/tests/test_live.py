"""Live inbox items reach the streams of every replica, not only the one that consumed."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from sipokat.events.testing import eventually, make_submitted
from sipokat.notification.settings import NotificationSettings
from sipokat.notification.testing import started

LURAH = "lurah:16.73.02.1019"


async def test_an_item_applied_by_one_replica_is_pushed_to_listeners_on_both(
    settings: NotificationSettings,
) -> None:
    # Two replicas on one store, as scaled out on one host; the first handles the event, an
    # app's stream is held by the second.
    async with started(settings) as consuming, started(settings) as other:
        await eventually(
            lambda: (
                consuming.runtime.live.listening.is_set() and other.runtime.live.listening.is_set()
            )
        )
        with (
            consuming.runtime.hub.listen(LURAH) as here,
            other.runtime.hub.listen(LURAH) as there,
        ):
            rid = uuid4()
            submitted = make_submitted(rid)
            await consuming.runtime.notifier().handle(submitted)

            pushed_there = await asyncio.wait_for(there.get(), timeout=10)
            pushed_here = await asyncio.wait_for(here.get(), timeout=10)
            assert pushed_there is not None and pushed_here is not None
            assert pushed_there == pushed_here
            assert (pushed_there["report_id"], pushed_there["recipient"]) == (str(rid), LURAH)
            assert pushed_there["read"] is False

            # A redelivery applies nothing, so pushes nothing, on either replica.
            await consuming.runtime.notifier().handle(submitted)
            await asyncio.sleep(0.3)
            assert here.empty() and there.empty()
