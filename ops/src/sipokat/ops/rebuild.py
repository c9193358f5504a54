"""`sipokat rebuild SERVICE`: ask a running service, through the gateway, to rebuild its views.

The services rebuild in-process (verification refolds from its event store; analytics and
notification replay the event log while answering 503), so the CLI only starts the job and, for
those that run it in the background, follows it.
"""

from __future__ import annotations

import time

import httpx

from sipokat.events.envelope import Role
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import DEFAULT_PORTS, ServiceSettings

REBUILD_PATHS = {
    "verification": "/v1/verification/rebuild",
    "analytics": "/v1/analytics/rebuild",
    "notification": "/v1/notifications/rebuild",
}


def rebuild(service: str, settings: ServiceSettings, gateway: str | None = None) -> int:
    token = mint_token(settings, subject="sipokat-ops", role=Role.ADMIN)
    base = gateway or f"http://127.0.0.1:{DEFAULT_PORTS['intake']}"
    headers = {"Authorization": f"Bearer {token}"}
    path = REBUILD_PATHS[service]
    with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
        started = client.post(path)
        if started.status_code >= 400:
            print(f"{service}: {started.status_code} {started.text}")
            return 1
        print(f"{service}: {started.json()}")
        if started.status_code != 202:
            return 0
        while True:  # rebuilding in the background: follow it
            time.sleep(1)
            status = client.get(path).json().get("status") or {}
            print(f"{service}: {status}")
            if status.get("state") != "running":
                return 1 if status.get("state") == "failed" else 0
