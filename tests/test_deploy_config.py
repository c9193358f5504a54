"""docker-compose.yml, the Kubernetes manifests, the RabbitMQ definitions and deploy/README.md's
topology table agree with the code: every service, image, port, env var, probe path, queue
argument and binding they name exists, and the broker names are exactly what the services
declare."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import re
from dataclasses import dataclass
from functools import cache
from itertools import takewhile
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic_settings import BaseSettings

from sipokat.events.broker.topology import (
    Topology,
    declare_dead_letters,
    declare_event_log,
    declare_service_queue,
)
from sipokat.runtime.health import health_router
from sipokat.runtime.settings import DEFAULT_PORTS, ServiceSettings, installed_services

ROOT = Path(__file__).parents[1]
SERVICES = sorted(DEFAULT_PORTS)  # every service is deployed, installed here or not
# Those whose code is here to check the deployment against (identity only once it is merged).
INSTALLED = sorted(installed_services())


@cache
def app_of(service: str) -> FastAPI:
    bootstrap = importlib.import_module(f"sipokat.{service}.bootstrap")
    app: FastAPI = bootstrap.create_app()
    return app


def route_paths(service: str) -> set[str]:
    """The service's routes; for one not installed, the health routes every service has."""
    if service not in INSTALLED:
        routes = health_router(service, {}).routes
        return {route.path for route in routes if isinstance(route, APIRoute)}
    return set(app_of(service).openapi()["paths"])


def _settings_classes(cls: type[BaseSettings]) -> list[type[BaseSettings]]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _settings_classes(child))]


@cache
def known_env_names() -> set[str]:
    for service in INSTALLED:
        app_of(service)  # imports each service's settings classes
    names = set()
    for cls in _settings_classes(ServiceSettings):
        for field_name, field in cls.model_fields.items():
            alias = field.validation_alias
            choices = getattr(alias, "choices", None)
            if choices:
                names.update(str(choice) for choice in choices)
            else:
                names.add(f"SIPOKAT_{field_name.upper()}")
    return names


def k8s_documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")):
        documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in k8s_documents() if doc["kind"] == kind]


def test_kustomization_lists_every_manifest() -> None:
    folder = ROOT / "deploy" / "k8s"
    listed = set(yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_a_deployment_and_service_that_fit_the_code(service: str) -> None:
    deployment = next(d for d in of_kind("Deployment") if d["metadata"]["name"] == service)
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    (container,) = spec["template"]["spec"]["containers"]
    assert container["args"] == [service]
    assert container["image"].startswith("sipokat:")
    port = container["ports"][0]["containerPort"]
    assert port == DEFAULT_PORTS[service]
    env = {e["name"]: e["value"] for e in container.get("env", [])}
    assert env["SIPOKAT_HTTP_PORT"] == str(port)
    paths = route_paths(service)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["path"] in paths
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["resources"]["requests"]
    referenced = {next(iter(source.values()))["name"] for source in container["envFrom"]}
    defined = {d["metadata"]["name"] for d in of_kind("ConfigMap") + of_kind("Secret")}
    assert referenced <= defined

    k8s_service = next(s for s in of_kind("Service") if s["metadata"]["name"] == service)
    labels = spec["template"]["metadata"]["labels"]
    assert k8s_service["spec"]["selector"].items() <= labels.items()
    assert spec["selector"]["matchLabels"].items() <= labels.items()


def test_every_env_var_in_the_manifests_is_a_setting() -> None:
    names = set()
    for doc in of_kind("ConfigMap"):
        names |= set(doc["data"])
    for doc in of_kind("Secret"):
        names |= set(doc.get("stringData", {}))
    for deployment in of_kind("Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            names |= {e["name"] for e in container.get("env", [])}
    assert names - known_env_names() == set()


def test_compose_services_fit_the_code() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for service in SERVICES:
        entry = services[service]
        assert entry["command"] == [service]
        assert entry["environment"]["SIPOKAT_HTTP_PORT"] == str(DEFAULT_PORTS[service])
        assert set(entry["environment"]) - known_env_names() == set()
        probe = " ".join(entry["healthcheck"]["test"])
        match = re.search(r"127\.0\.0\.1:(\d+)(/[\w/]+)", probe)
        assert match is not None, probe
        assert int(match[1]) == DEFAULT_PORTS[service]
        assert match[2] in route_paths(service)
        assert set(entry["depends_on"]) <= set(services)
        assert entry["environment"]["SIPOKAT_STORE_BACKEND"] == "mongodb"
    assert "mongodb" in services and "rabbitmq" in services


def _service_url(url: str) -> tuple[str, int, str]:
    match = re.fullmatch(r"http://([\w-]+):(\d+)(/[\w./-]*)?", url)
    assert match is not None, url
    return match[1], int(match[2]), match[3] or ""


def test_the_gateway_and_every_service_find_the_others_in_compose_and_kubernetes() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    (config,) = of_kind("ConfigMap")
    for env in (compose["intake"]["environment"], config["data"]):
        for service in set(SERVICES) - {"intake"}:
            url = env[f"SIPOKAT_{service.upper()}_URL"]
            assert _service_url(url) == (service, DEFAULT_PORTS[service], ""), url
    for env in [compose[service]["environment"] for service in SERVICES] + [config["data"]]:
        jwks = env["SIPOKAT_IDENTITY_JWKS_URL"]
        assert _service_url(jwks) == ("identity", 8004, "/.well-known/jwks.json"), jwks
    # Production trusts no development token; one Docker host keeps them for `sipokat token`.
    assert config["data"]["SIPOKAT_JWT_DEV_TOKENS"] == "false"


def test_the_image_runs_the_service_entry_point() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["python", "-m", "sipokat.runtime.serve"]' in dockerfile
    importlib.import_module("sipokat.runtime.serve")


def test_the_image_serves_the_rt_app_and_the_console_built_from_their_lock_file() -> None:
    """The gateway's /app/ and /console/ would say "not built" in an image without the apps
    (issues 23 and 24): both are built in the Node stage from the apps/ workspace's one lock."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY apps/package.json apps/package-lock.json ./" in dockerfile
    assert "COPY apps/rt/package.json rt/" in dockerfile
    assert "COPY apps/console/package.json console/" in dockerfile
    assert "npm ci --ignore-scripts" in dockerfile
    for folder, setting in (("rt", "SIPOKAT_APP_DIR"), ("console", "SIPOKAT_CONSOLE_DIR")):
        copied = re.search(rf"COPY --from=web-apps /src/apps/{folder}/dist (\S+)", dockerfile)
        served = re.search(rf"{setting}=(\S+)", dockerfile)
        assert copied and served and copied.group(1) == served.group(1), folder
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "**/node_modules" in ignored
    assert "apps/rt/dist" in ignored and "apps/console/dist" in ignored


@dataclass
class Declared:
    """What the topology code declares, as a broker would record it: exchanges by name (type),
    queues by name (arguments), bindings as (exchange, queue, routing key)."""

    exchanges: dict[str, str] = dataclasses.field(default_factory=dict)
    queues: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    bindings: set[tuple[str, str, str]] = dataclasses.field(default_factory=set)


@dataclass
class _Exchange:
    name: str


@dataclass
class _Queue:
    name: str
    declared: Declared

    async def bind(self, exchange: _Exchange, routing_key: str) -> None:
        self.declared.bindings.add((exchange.name, self.name, routing_key))


@dataclass
class _RecordingChannel:
    """Takes the declarations of `sipokat.events.broker.topology` in place of a broker channel:
    only the names and arguments matter here (the broker tests declare them for real)."""

    declared: Declared

    async def declare_exchange(self, name: str, kind: Any, *, durable: bool) -> _Exchange:
        assert durable, name
        self.declared.exchanges[name] = str(kind.value)
        return _Exchange(name)

    async def declare_queue(self, name: str, *, durable: bool, arguments: dict[str, Any]) -> _Queue:
        assert durable, name
        self.declared.queues[name] = dict(arguments)
        return _Queue(name, self.declared)


@cache
def declared_topology() -> Declared:
    """Everything the four services declare under the default prefix: the relay's event log and
    exchange, and each consuming service's queue and dead letters (as `Consumer` does)."""
    topology, declared = Topology(), Declared()
    channel: Any = _RecordingChannel(declared)

    async def declare_all() -> None:
        await declare_event_log(channel, topology)
        for service in INSTALLED:
            subscription = app_of(service).state.runtime.subscription
            if subscription is not None:
                await declare_service_queue(channel, topology, service, subscription.bindings)
                await declare_dead_letters(channel, topology, service)

    asyncio.run(declare_all())
    return declared


def test_rabbitmq_definitions_match_what_the_services_declare() -> None:
    definitions = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text())
    found = Declared(
        exchanges={e["name"]: e["type"] for e in definitions["exchanges"]},
        queues={q["name"]: q["arguments"] for q in definitions["queues"]},
        bindings={
            (b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]
        },
    )
    assert all(item["durable"] for item in definitions["exchanges"] + definitions["queues"])
    assert found == declared_topology()


_ARGUMENT = re.compile(r"`([\w-]+)`: (`[^`]*`|\d+|true|false)")


def _value(text: str) -> Any:
    if text.startswith("`"):
        return text.strip("`")
    return {"true": True, "false": False}.get(text, int(text) if text.isdigit() else text)


def readme_topology() -> Declared:
    """deploy/README.md's topology table, row by row."""
    readme = (ROOT / "deploy" / "README.md").read_text()
    section = readme[readme.index("## RabbitMQ topology") :].splitlines()
    first = next(i for i, line in enumerate(section) if line.startswith("| "))
    header, rule, *body = takewhile(lambda line: line.startswith("| "), section[first:])
    assert header.startswith("| kind | name | type | arguments | bound to"), header
    assert set(rule) <= set("|- "), rule
    found = Declared()
    for row in body:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        kind, name, type_, arguments, bound = cells
        name = name.strip("`")
        if kind == "exchange":
            found.exchanges[name] = type_
            assert not arguments and not bound, row
            continue
        assert kind == "queue", row
        parsed = {key: _value(value) for key, value in _ARGUMENT.findall(arguments)}
        assert len(parsed) == arguments.count("`: "), f"unreadable arguments in {row}"
        found.queues[name] = {"x-queue-type": type_, **parsed}
        if bound:
            exchange, _, keys = bound.partition(": ")
            for key in re.findall(r"`([^`]+)`", keys):
                found.bindings.add((exchange.strip("`"), name, key))
    return found


def test_the_readme_topology_table_is_what_the_services_declare() -> None:
    assert readme_topology() == declared_topology()


def test_identity_believes_the_gateways_forwarded_address_and_the_gateway_no_clients() -> None:
    """In containers the gateway is not 127.0.0.1: unless identity trusts it, every sign-in
    comes from one address and one client's failures throttle the whole city. The gateway
    must not trust everyone, or a client names its own address (tests/e2e/
    test_identity_brute_force.py)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    (config,) = of_kind("ConfigMap")
    trust = "SIPOKAT_FORWARDED_ALLOW_IPS"
    assert compose["identity"]["environment"].get(trust)
    assert trust not in compose["intake"]["environment"] and trust not in config["data"]
    for deployment in of_kind("Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        if deployment["metadata"]["name"] == "identity":
            assert env.get(trust)
        if deployment["metadata"]["name"] == "intake":
            assert trust not in env
