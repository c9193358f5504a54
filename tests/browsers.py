"""What the browser tests of the web apps share: Debian's Chromium (installed by the project's own
script when missing, never by `playwright install`) and axe-core from the apps' npm workspace.
The fixtures (`browser`, `shots`) are in tests/e2e/conftest.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
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


def axe_script() -> Path:
    """axe-core as `make app` installs it (built here too, for a run of one test file alone)."""
    if not AXE.exists():
        subprocess.run(["bash", str(ROOT / "scripts/build-app.sh")], check=True, timeout=900)
    return AXE


def headless(url: str, *args: str, budget_ms: int = 20000, timeout: float = 120) -> tuple[str, str]:
    """Chromium run once on `url` with `args` (`--dump-dom`, `--screenshot=…`) in a throwaway
    profile, given `budget_ms` of virtual time for the page's fetches and drawing: (its stdout,
    its log)."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                chromium(),
                "--headless",
                *ARGS,
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}",
                *args,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr
