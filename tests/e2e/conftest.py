"""Fixtures of the web apps' browser tests (test_rt_app.py, the console's): Playwright driving
Debian's headless Chromium, and where screenshots go."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from browsers import ARGS, AXE, ROOT, chromium


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SIPOKAT_SCREENSHOTS", tmp_path / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def built_console() -> Path:
    """apps/console/dist as `make app` builds it (here too, for a run of one file alone)."""
    if not (ROOT / "apps/console/dist/index.html").exists() or not AXE.exists():
        subprocess.run(["bash", str(ROOT / "scripts/build-app.sh")], check=True, timeout=900)
    return ROOT / "apps/console/dist"
