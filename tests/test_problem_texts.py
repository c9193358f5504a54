"""Every problem a service can answer exists in Indonesian as well as English.

Walks the sources of the runtime and every service for the places problems are made (Problem,
field_problem, problem_response, send_problem): each title must be in the shared catalogue with
an Indonesian text, and each detail must be a bilingual `Text`, never a bare string. Then walks
every service's OpenAPI document for the constraints its requests carry and checks that each
validation error they can give has an Indonesian message.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sipokat.analytics.bootstrap import create_app as create_analytics
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.identity.bootstrap import create_app as create_identity
from sipokat.identity.domain import RULES as IDENTITY_RULES
from sipokat.identity.settings import IdentitySettings
from sipokat.intake.adapters.images import PHOTOS
from sipokat.intake.bootstrap import create_app as create_intake
from sipokat.intake.domain import RULES
from sipokat.intake.settings import IntakeSettings
from sipokat.notification.bootstrap import create_app as create_notification
from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.messages import TITLES_ID, VALIDATION_ID
from sipokat.verification.bootstrap import create_app as create_verification
from sipokat.verification.entrypoints.reports import CONFLICT_ID
from sipokat.verification.settings import VerificationSettings

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*ROOT.glob("libs/*/src/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]
# Where each maker takes its title and its detail (positional index, keyword).
MAKERS = {
    "Problem": ((1, "title"), (2, "detail")),
    "field_problem": ((0, "title"), None),
    "problem_response": ((2, "title"), (3, "detail")),
    "send_problem": ((3, "title"), (4, "detail")),
}


def _argument(call: ast.Call, where: tuple[int, str]) -> ast.expr | None:
    index, name = where
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[index] if len(call.args) > index else None


def _calls() -> Iterator[tuple[str, ast.Call, str]]:
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in MAKERS:
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node, name


def _literals(node: ast.expr) -> list[str] | None:
    """The string values an expression may take, when it is made of literals only."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def _bare_string(node: ast.expr) -> bool:
    """A detail that can only be one language: a literal, an f-string, str(...), a join."""
    if isinstance(node, ast.Constant | ast.JoinedStr | ast.BinOp):
        return True
    if isinstance(node, ast.IfExp):
        return _bare_string(node.body) or _bare_string(node.orelse)
    if isinstance(node, ast.Call):
        func = node.func
        return getattr(func, "id", None) == "str" or getattr(func, "attr", None) == "join"
    return False


def test_the_walk_finds_the_problems_of_every_service() -> None:
    places = {place.split("/")[1] for place, _, _ in _calls()}
    assert {"runtime", "intake", "verification", "analytics", "notification", "identity"} <= places


def test_every_problem_title_is_in_indonesian_and_every_detail_is_bilingual() -> None:
    wrong: list[str] = []
    for place, call, maker in _calls():
        title_at, detail_at = MAKERS[maker]
        title = _argument(call, title_at)
        if title is not None:
            values = _literals(title)
            if values is not None:
                wrong += [
                    f"{place}: title {v!r} has no Indonesian" for v in values if v not in TITLES_ID
                ]
        detail = _argument(call, detail_at) if detail_at else None
        if detail is not None and _bare_string(detail):
            wrong.append(f"{place}: a detail in English only: {ast.unparse(detail)[:80]}")
    assert wrong == [], "\n".join(wrong)


def _first_arguments(paths: list[Path], *callees: str) -> set[str]:
    """The literal first arguments of calls to `callees` in these files."""
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            called = isinstance(node, ast.Call) and getattr(node.func, "id", None) in callees
            if called and node.args and isinstance(node.args[0], ast.Constant):  # type: ignore[attr-defined]
                found.add(node.args[0].value)  # type: ignore[attr-defined]
    return found


def test_the_catalogues_of_domain_refusals_are_complete() -> None:
    verification = list(ROOT.glob("services/verification/src/**/*.py"))
    reasons = _first_arguments(verification, "NotYourTurn", "DecisionConflict")
    assert reasons and reasons <= set(CONFLICT_ID), reasons - set(CONFLICT_ID)
    images = [ROOT / "services/intake/src/sipokat/intake/adapters/images.py"]
    codes = _first_arguments(images, "PhotoRefused")
    assert codes and codes <= set(PHOTOS), codes - set(PHOTOS)
    assert all(english and indonesian for english, indonesian in RULES.values())
    identity = list(ROOT.glob("services/identity/src/**/*.py"))
    codes = _first_arguments(identity, "Refused")
    assert codes and codes <= set(IDENTITY_RULES), codes - set(IDENTITY_RULES)
    assert all(english and indonesian for english, indonesian in IDENTITY_RULES.values())


# ------------------------------------------------------------------ validation messages

# The pydantic error types a JSON Schema keyword of a request can give.
KEYWORD_ERRORS = {
    "enum": ["enum", "literal_error"],
    "const": ["literal_error"],
    "minLength": ["string_too_short"],
    "maxLength": ["string_too_long"],
    "pattern": ["string_pattern_mismatch"],
    "minimum": ["greater_than_equal"],
    "maximum": ["less_than_equal"],
    "exclusiveMinimum": ["greater_than"],
    "exclusiveMaximum": ["less_than"],
    "minItems": ["too_short"],
    "maxItems": ["too_long"],
    "required": ["missing"],
}
TYPE_ERRORS = {
    "string": ["string_type"],
    "integer": ["int_type", "int_parsing", "int_from_float"],
    "number": ["float_type", "float_parsing"],
    "boolean": ["bool_type", "bool_parsing"],
    "array": ["list_type"],
    "object": ["model_attributes_type", "dict_type"],
}
FORMAT_ERRORS = {
    "date": ["date_from_datetime_parsing", "date_parsing"],
    "date-time": ["datetime_from_date_parsing", "datetime_parsing"],
    "uuid": ["uuid_parsing"],
    "uri": ["url_parsing", "url_scheme", "url_type"],
}


def _walk(schema: Any, components: dict[str, Any], seen: set[str]) -> Iterator[str]:
    if isinstance(schema, list):
        for item in schema:
            yield from _walk(item, components, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _walk(components.get(name, {}), components, seen)
    for keyword, errors in KEYWORD_ERRORS.items():
        if keyword in schema:
            yield from errors
    yield from TYPE_ERRORS.get(schema.get("type", ""), [])
    yield from FORMAT_ERRORS.get(schema.get("format", ""), [])
    if schema.get("additionalProperties") is False:
        yield "extra_forbidden"
    for value in schema.values():
        if isinstance(value, dict | list):
            yield from _walk(value, components, seen)


def _request_errors(document: dict[str, Any]) -> set[str]:
    components = document.get("components", {}).get("schemas", {})
    found: set[str] = {"json_invalid", "missing"}
    for operations in document["paths"].values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            parts = [operation.get("parameters", []), operation.get("requestBody", {})]
            found |= set(_walk(parts, components, set()))
    return found


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: create_intake(IntakeSettings(data_dir=tmp)),
        lambda tmp: create_verification(VerificationSettings(data_dir=tmp)),
        lambda tmp: create_analytics(AnalyticsSettings(data_dir=tmp)),
        lambda tmp: create_notification(NotificationSettings(data_dir=tmp)),
        lambda tmp: create_identity(IdentitySettings(data_dir=tmp)),
    ],
    ids=["intake", "verification", "analytics", "notification", "identity"],
)
def test_every_validation_error_a_request_can_get_is_in_indonesian(
    make: Any, tmp_path: Path
) -> None:
    document = make(tmp_path).openapi()
    missing = _request_errors(document) - set(VALIDATION_ID)
    assert not missing, f"pydantic error types without an Indonesian message: {sorted(missing)}"
