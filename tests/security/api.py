"""Talking to the services: their operations as each one's own /openapi.json lists them, and
requests that never hang on an event stream."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from security.principals import KELURAHAN

from harness import SERVICES, Platform
from sipokat.intake.adapters.openapi_merge import UPSTREAM

T = TypeVar("T")
R = TypeVar("R")
METHODS = {"get", "head", "post", "put", "patch", "delete"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def operations(base_url: str) -> list[str]:
    """`METHOD /path/{param}` of every operation in the service's OpenAPI document; not those
    the gateway documents but passes on (its upstream's rows cover them, through the gateway
    too)."""
    document = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    return [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS and UPSTREAM not in operation
    ]


def all_operations(platform: Platform) -> dict[str, list[str]]:
    return {service: operations(platform.url(service)) for service in SERVICES}


def fill(path: str, values: Mapping[str, str]) -> str:
    """The path with its {parameters} set; one not in `values` gets a harmless placeholder."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "0"), path)


def sample_values(report_id: str) -> dict[str, str]:
    return {
        "report_id": report_id,
        "service_request_id": report_id,
        "sha256": "0" * 64,
        "item_id": "no-such-item",
        "subscription_id": "no-such-subscription",
        "code": KELURAHAN,
        "kelurahan_code": KELURAHAN,
        "fmt": "json",
    }


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> Answer:
    """One request; an event stream's body is not read (it would never end)."""
    if method in ("POST", "PUT", "PATCH") and not {"json", "files", "content"} & kwargs.keys():
        kwargs["json"] = {}
    with client.stream(method, url, headers=headers, **kwargs) as answer:
        streaming = answer.headers.get("content-type", "").startswith("text/event-stream")
        body = b"" if streaming else answer.read()
        return Answer(answer.status_code, answer.headers, body)


def in_parallel(work: Callable[[T], R], items: Iterable[T], workers: int = 8) -> list[R]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(work, items))


def problem_json(answer: Answer) -> bool:
    return answer.headers.get("content-type", "").startswith("application/problem+json")
