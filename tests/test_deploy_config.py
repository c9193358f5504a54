"""docker-compose.yml, the Kubernetes manifests and the RabbitMQ definitions agree with the code:
every service, image, port, env var, probe path, queue argument and binding they name exists."""

from __future__ import annotations

import importlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from pydantic_settings import BaseSettings

from sipokat.events.broker.topology import QUORUM_DELIVERY_LIMIT, Topology
from sipokat.runtime.settings import DEFAULT_PORTS, ServiceSettings

ROOT = Path(__file__).parents[1]
SERVICES = sorted(DEFAULT_PORTS)


@cache
def app_of(service: str) -> FastAPI:
    bootstrap = importlib.import_module(f"sipokat.{service}.bootstrap")
    app: FastAPI = bootstrap.create_app()
    return app


def route_paths(service: str) -> set[str]:
    return set(app_of(service).openapi()["paths"])


def _settings_classes(cls: type[BaseSettings]) -> list[type[BaseSettings]]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _settings_classes(child))]


@cache
def known_env_names() -> set[str]:
    for service in SERVICES:
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


def test_the_image_runs_the_service_entry_point() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["python", "-m", "sipokat.runtime.serve"]' in dockerfile
    importlib.import_module("sipokat.runtime.serve")


def test_rabbitmq_definitions_match_what_the_services_declare() -> None:
    definitions = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text())
    topology = Topology()
    queues = {q["name"]: q["arguments"] for q in definitions["queues"]}
    bindings: dict[str, set[str]] = {}
    for binding in definitions["bindings"]:
        if binding["source"] == topology.exchange:
            bindings.setdefault(binding["destination"], set()).add(binding["routing_key"])
    assert queues[topology.event_log] == {"x-queue-type": "stream"}
    assert bindings[topology.event_log] == {"#"}
    for service in SERVICES:
        subscription = app_of(service).state.runtime.subscription
        name = topology.service_queue(service)
        if subscription is None:
            assert name not in queues
            continue
        assert queues[name] == {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": topology.dead_letter_exchange,
            "x-dead-letter-routing-key": topology.dead_letter_queue(service),
            "x-delivery-limit": QUORUM_DELIVERY_LIMIT,
            "x-single-active-consumer": True,
        }
        assert bindings[name] == set(subscription.bindings)
        dead_letters = topology.dead_letter_queue(service)
        assert queues[dead_letters] == {"x-queue-type": "quorum"}
        assert {
            (b["source"], b["routing_key"])
            for b in definitions["bindings"]
            if b["destination"] == dead_letters
        } == {(topology.dead_letter_exchange, dead_letters)}
