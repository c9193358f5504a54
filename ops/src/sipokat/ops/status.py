"""`sipokat status`: every service's readiness, and the depth of its queue and dead letters.

A check that does not pass is shown with its output: `readers:set_aside` (warn) names the
readers that set events aside and how many (then `sipokat set-aside list SERVICE`).

Each service is asked at `SIPOKAT_<SERVICE>_URL` when set (the variables the gateway routes
with, e.g. SIPOKAT_VERIFICATION_URL), else on 127.0.0.1 at its default port.
"""

from __future__ import annotations

import os

import httpx

from sipokat.ops.deadletters import queue_depths, run
from sipokat.ops.launcher import SERVICES
from sipokat.runtime.settings import DEFAULT_PORTS, ServiceSettings


def service_url(service: str) -> str:
    configured = os.environ.get(f"SIPOKAT_{service.upper()}_URL")
    return (configured or f"http://127.0.0.1:{DEFAULT_PORTS[service]}").rstrip("/")


def print_status(settings: ServiceSettings) -> int:
    healthy = True
    for service in SERVICES:
        url = f"{service_url(service)}/health/ready"
        try:
            body = httpx.get(url, timeout=3).json()
            checks = ", ".join(
                f"{name}={entries[0]['status']}"
                + (f"({entries[0]['observedValue']})" if "observedValue" in entries[0] else "")
                for name, entries in body.get("checks", {}).items()
            )
            print(f"{service:13} {body['status']:5} {checks}")
            for name, entries in body.get("checks", {}).items():
                if entries[0]["status"] != "pass" and entries[0].get("output"):
                    print(f"{'':19} {name}: {entries[0]['output']}")
            healthy &= body["status"] != "fail"
        except (httpx.HTTPError, ValueError) as exc:
            print(f"{service:13} down  ({exc.__class__.__name__}: {exc})")
            healthy = False
    try:
        depths = run(queue_depths(settings.rabbitmq_url, settings.topology, SERVICES))
    except OSError as exc:
        print(f"broker        down  ({exc})")
        return 1
    for queue, depth in depths.items():
        if depth is None:
            print(f"{queue:28} not declared")
        else:
            print(f"{queue:28} messages={depth['messages']} consumers={depth['consumers']}")
    return 0 if healthy else 1
