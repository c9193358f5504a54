"""Every service holds the rooms of docs/architecture.md and nothing else, so the shape cannot
drift: a room a service does not need is absent, never renamed, and nothing sits beside them.
(import-linter's exhaustive rooms contract sees modules only; this sees every file and folder.)"""

from __future__ import annotations

from pathlib import Path

import pytest

SERVICES = Path(__file__).parents[1] / "services"
# A room is a module or a package of that name; the others are files.
ROOMS = {"domain", "handlers", "adapters", "queries", "entrypoints", "settings", "bootstrap"}
PACKAGE_ONLY = {"adapters", "entrypoints"}  # one module per adapter, per resource
REQUIRED = {"domain", "handlers", "entrypoints", "settings", "bootstrap"}
FILES = {"__init__.py", "py.typed"}
CACHES = {"__pycache__"}


def service_packages() -> list[Path]:
    return sorted(SERVICES.glob("*/src/sipokat/*/"))


def rooms_of(package: Path) -> tuple[set[str], list[str]]:
    """The rooms found in `package`, and what in it is no room (or no room's shape)."""
    rooms: set[str] = set()
    strays: list[str] = []
    for entry in sorted(package.iterdir()):
        if entry.name in CACHES or (entry.is_file() and entry.name in FILES):
            continue
        if entry.is_dir() and {child.name for child in entry.iterdir()} <= CACHES:
            continue  # what a branch switch leaves of a folder git no longer has
        if entry.is_file() and entry.suffix == ".py" and entry.stem in ROOMS - PACKAGE_ONLY:
            room = entry.stem
        elif entry.is_dir() and entry.name in ROOMS and (entry / "__init__.py").is_file():
            room = entry.name
        else:
            strays.append(entry.name + ("/" if entry.is_dir() else ""))
            continue
        if room in rooms:  # both `domain.py` and `domain/`
            strays.append(entry.name)
        rooms.add(room)
    return rooms, strays


def test_every_service_is_listed() -> None:
    services = {path.parents[2].name for path in service_packages()}
    assert services == {path.name for path in SERVICES.iterdir() if path.is_dir()}
    assert {"intake", "verification", "analytics", "notification"} <= services


@pytest.mark.parametrize("package", service_packages(), ids=lambda path: path.name)
def test_a_service_holds_its_rooms_and_nothing_else(package: Path) -> None:
    rooms, strays = rooms_of(package)
    assert strays == [], f"{package.name}: not a room of docs/architecture.md"
    assert rooms >= REQUIRED, f"{package.name} lacks {sorted(REQUIRED - rooms)}"
    for name in FILES:
        assert (package / name).is_file(), f"{package.name} lacks {name}"
    assert (package / "__init__.py").read_text() == "", "the package's __init__.py is empty"


def test_a_stray_module_or_a_renamed_room_is_found(tmp_path: Path) -> None:
    # The check itself, on a service shaped wrong in each way it could drift.
    package = tmp_path / "services/example/src/sipokat/example"
    for room in ("domain", "handlers", "queries", "settings", "bootstrap"):
        (package / f"{room}.py").parent.mkdir(parents=True, exist_ok=True)
        (package / f"{room}.py").touch()
    for folder in ("entrypoints", "domain", "views"):
        (package / folder).mkdir()
        (package / folder / "__init__.py").touch()
    (package / "adapters.py").touch()  # a module where a package belongs
    (package / "worklist.py").touch()
    (package / "__pycache__").mkdir()
    (package / "jobs" / "__pycache__").mkdir(parents=True)  # left by a branch switch: absent
    rooms, strays = rooms_of(package)
    assert sorted(strays) == ["adapters.py", "domain.py", "views/", "worklist.py"]
    assert rooms == {"domain", "handlers", "queries", "settings", "bootstrap", "entrypoints"}
