"""Fixtures for the cross-service tests: the services as real processes."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from harness import Platform, running_platform  # on the path through pytest's `pythonpath`

# Intake's test support (photos as phones write them, hostile files) for the end-to-end and
# security tests, from where intake's own tests keep it.
sys.path.insert(0, str(Path(__file__).parents[1] / "services/intake/tests"))


@pytest.fixture
async def platform(rabbitmq_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    async with running_platform(rabbitmq_url, tmp_path) as running:
        yield running
