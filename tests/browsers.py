"""What the browser tests of the web apps share: Debian's Chromium (installed by the project's own
script when missing, never by `playwright install`) and axe-core from the apps' npm workspace.
The fixtures (`browser`, `shots`) are in tests/e2e/conftest.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "apps/node_modules/axe-core/axe.min.js"  # the apps/ workspace installs it
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def chromium() -> str:
    """Debian's Chromium, installed by the project's own script when missing."""
    if os.environ.get("SIPOKAT_SKIP_BROWSER_TESTS") == "1":
        pytest.skip("SIPOKAT_SKIP_BROWSER_TESTS=1: browser tests switched off")
    if shutil.which("chromium") is None:
        subprocess.run(["bash", str(ROOT / "scripts/install-chromium.sh")], check=True, timeout=900)
    path = shutil.which("chromium")
    assert path, "chromium is not installed and scripts/install-chromium.sh could not install it"
    return path
