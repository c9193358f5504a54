"""One OpenAPI document for the whole public API: the gateway's own, plus each upstream's
operations at the paths the gateway passes on to it.

An upstream's operation keeps its own text and schemas and is marked `x-sipokat-upstream`
(its service); where the gateway has a marked stand-in of its own (`GET /v1/reports`, a route it
keeps only to pass it on), the upstream's operation replaces it. Component names two services
use for different things get the service's name in front (`VerificationProblem`), and every
`$ref` to them follows; names used for the same thing are shared. An operation id already taken
gets the service's name in front too. An upstream's health and operator routes are not passed on,
so they are not in the document; the gateway's own stay (they answer at its address).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

# Marks an operation the gateway passes on: the fuzz and the security suite test it at its
# upstream, not at the gateway.
UPSTREAM = "x-sipokat-upstream"
# The services whose part is missing because their document could not be had.
MISSING = "x-sipokat-missing"
# Paths for operators, not client apps: an upstream's are not passed on.
OPERATORS = ("/health", "/ops/")

# The bearer token every service verifies (an access token of identity's sign-in, or the city's
# own provider's): declared once, optional at the top, so "Authorize" in Swagger UI sends it with
# every call; the operations that need it say so by their 401.
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "Access token of `POST /v1/auth/signin` / token akses dari masuk (sign-in)",
}

Document = dict[str, Any]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_REF_PREFIX = "#/components/"


def merge(
    own: Document,
    upstreams: Mapping[str, Document | None],
    passed_to: Callable[[str], str | None],
) -> Document:
    """`own` with each upstream's operations at the paths `passed_to` names that upstream for;
    an upstream whose document is None is listed under `x-sipokat-missing`. Nothing given is
    changed."""
    merged = copy.deepcopy(own)
    paths: dict[str, Any] = merged.setdefault("paths", {})
    components: dict[str, dict[str, Any]] = merged.setdefault("components", {})
    operation_ids = {
        op["operationId"] for op in _operations(paths) if isinstance(op.get("operationId"), str)
    }
    missing = []
    for service, document in upstreams.items():
        if document is None:
            missing.append(service)
            continue
        theirs = _public_paths(document, service, passed_to)
        renames = _renames(document.get("components", {}), components, service)
        theirs = _rewritten(theirs, renames)
        for section, items in document.get("components", {}).items():
            if not isinstance(items, dict):
                continue
            target = components.setdefault(section, {})
            for name, value in _rewritten(items, renames).items():
                target.setdefault(renames.get((section, name), name), value)
        for path, item in theirs.items():
            into = paths.setdefault(path, {})
            for key, value in item.items():
                if key not in METHODS:
                    into.setdefault(key, value)  # path-level parameters, summary
                    continue
                mine = into.get(key)
                if mine is not None and mine.get(UPSTREAM) != service:
                    continue  # the gateway answers this itself: its own operation stands
                operation = {**value, UPSTREAM: service}
                operation_id = operation.get("operationId")
                replaced = (mine or {}).get("operationId")  # a stand-in's id is free again
                if isinstance(operation_id, str) and operation_id != replaced:
                    operation["operationId"] = _unique(operation_id, service, operation_ids)
                into[key] = operation
    # A client developer reads the API first; the gateway's health and operator routes last.
    merged["paths"] = paths = dict(
        sorted(paths.items(), key=lambda item: item[0].startswith(OPERATORS))
    )
    merged["tags"] = _tag_list(merged.get("tags", []), _tags(paths))
    components.setdefault("securitySchemes", {}).setdefault("bearer", BEARER)
    merged.setdefault("security", [{}, {"bearer": []}])
    if missing:
        merged[MISSING] = missing
        info = merged.setdefault("info", {})
        info["description"] = (
            f"> **Belum lengkap / incomplete:** {', '.join(missing)} tidak menjawab; bagiannya "
            "menyusul / did not answer; their part follows.\n\n" + info.get("description", "")
        )
    return merged


def _operations(paths: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for item in paths.values():
        for method in METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                yield item[method]


def _public_paths(
    document: Document, service: str, passed_to: Callable[[str], str | None]
) -> dict[str, Any]:
    """The upstream's paths the gateway passes on to it (so not its health and operator ones)."""
    return {
        path: item
        for path, item in document.get("paths", {}).items()
        if isinstance(item, dict) and passed_to(_sample(path)) == service
    }


def _sample(template: str) -> str:
    """A concrete path matching the template, to ask the route table with."""
    parts = [("x1" if part.startswith("{") else part) for part in template.split("/")]
    return "/".join(parts)


def _renames(
    theirs: Mapping[str, Any], ours: Mapping[str, Mapping[str, Any]], service: str
) -> dict[tuple[str, str], str]:
    """(section, name) → new name, for each component of theirs that a component of ours of the
    same name differs from, or that refers to one so renamed; repeated until nothing changes."""
    renames: dict[tuple[str, str], str] = {}
    taken = {(section, name) for section, items in ours.items() for name in items}
    changed = True
    while changed:
        changed = False
        for section, items in theirs.items():
            if not isinstance(items, dict):
                continue
            for name, value in items.items():
                key = (section, name)
                if key in renames or key not in taken:
                    continue
                if ours[section][name] != _rewritten(value, renames):
                    renames[key] = _free_name(section, name, service, taken, renames)
                    changed = True
    return renames


def _free_name(
    section: str,
    name: str,
    service: str,
    taken: set[tuple[str, str]],
    renames: Mapping[tuple[str, str], str],
) -> str:
    candidate = service.capitalize() + name
    used = taken | {(s, n) for (s, _), n in renames.items()}
    while (section, candidate) in used:
        candidate = service.capitalize() + candidate
    return candidate


def _rewritten(value: Any, renames: Mapping[tuple[str, str], str]) -> Any:
    """A copy of `value` with each `$ref` to a renamed component pointing at its new name."""
    if isinstance(value, dict):
        out = {key: _rewritten(item, renames) for key, item in value.items()}
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            section, _, name = ref.removeprefix(_REF_PREFIX).partition("/")
            if (section, name) in renames:
                out["$ref"] = f"{_REF_PREFIX}{section}/{renames[(section, name)]}"
        return out
    if isinstance(value, list):
        return [_rewritten(item, renames) for item in value]
    return value


def _unique(operation_id: str, service: str, taken: set[str]) -> str:
    candidate = operation_id
    while candidate in taken:
        candidate = f"{service}_{candidate}"
    taken.add(candidate)
    return candidate


def _tags(paths: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each tag, in the order of first use, with the services answering its operations."""
    tags: dict[str, list[str]] = {}
    for operation in _operations(paths):
        service = operation.get(UPSTREAM, "intake")
        for tag in operation.get("tags", []):
            services = tags.setdefault(tag, [])
            if service not in services:
                services.append(service)
    return tags


def _tag_list(declared: list[dict[str, Any]], used: Mapping[str, list[str]]) -> list[Any]:
    """Each tag with the services whose operations carry it (Swagger UI shows it beside the
    tag), in the order they first appear."""
    described = {tag["name"]: tag for tag in declared if isinstance(tag, dict) and "name" in tag}
    listed = []
    for name, services in used.items():
        tag = dict(described.get(name, {"name": name}))
        served = f"layanan / service: {', '.join(services)}"
        tag["description"] = f"{tag['description']} ({served})" if "description" in tag else served
        listed.append(tag)
    return listed
