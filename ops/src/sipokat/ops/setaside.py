"""`sipokat set-aside list|retry SERVICE`: the events a service's readers set aside.

Asks the service itself (`/ops/set-aside`, admin token), at `SIPOKAT_<SERVICE>_URL` or its
default port like `sipokat status`. Retry after the cause is fixed: each event that applies
leaves the list, each that still fails stays with its new reason (exit code 1).
"""

from __future__ import annotations

from typing import Any

import httpx

from sipokat.events.envelope import Role
from sipokat.ops.status import service_url
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings


def _client(service: str, settings: ServiceSettings) -> httpx.Client:
    token = mint_token(settings, subject="sipokat-ops", role=Role.ADMIN)
    return httpx.Client(
        base_url=service_url(service), headers={"Authorization": f"Bearer {token}"}, timeout=300
    )


def _line(item: dict[str, Any]) -> str:
    return (
        f"{item['reader']:24} {item['key']:40} {item['routing_key'] or '-':26} "
        f"failures={item['failures']} at={item['set_aside_at']}\n    {item['reason'][:300]}"
    )


def list_set_aside(
    service: str, settings: ServiceSettings, reader: str | None, limit: int, body: bool
) -> int:
    params: dict[str, Any] = {"limit": limit} | ({"reader": reader} if reader else {})
    with _client(service, settings) as client:
        answer = client.get("/ops/set-aside", params=params)
    if answer.status_code != 200:
        print(f"{service}: {answer.status_code} {answer.text}")
        return 1
    found = answer.json()
    for item in found["items"]:
        print(_line(item))
        if body:
            print(f"    {item['body'][:2000]}")
    counts = ", ".join(f"{r}={n}" for r, n in sorted(found["counts"].items())) or "none"
    print(f"{service}: set aside {counts}")
    return 0


def retry_set_aside(
    service: str, settings: ServiceSettings, reader: str | None, key: str | None
) -> int:
    wanted = {name: value for name, value in (("reader", reader), ("key", key)) if value}
    with _client(service, settings) as client:
        answer = client.post("/ops/set-aside/retry", json=wanted)
    if answer.status_code != 200:
        print(f"{service}: {answer.status_code} {answer.text}")
        return 1
    outcome = answer.json()
    for item in outcome["applied"]:
        print(f"applied  {item['reader']} {item['key']}")
    for item in outcome["still_set_aside"]:
        print(f"still    {_line(item)}")
    print(
        f"{service}: {len(outcome['applied'])} applied, "
        f"{len(outcome['still_set_aside'])} still set aside"
    )
    return 1 if outcome["still_set_aside"] else 0
