"""Fixtures for the cross-service tests: the four services as real processes."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import Platform


@pytest.fixture
def platform(rabbitmq_url: str, tmp_path: Path) -> Iterator[Platform]:
    running = Platform(rabbitmq_url, prefix=f"e2e-{uuid.uuid4().hex[:8]}", data_dir=tmp_path)
    try:
        running.start()
        yield running
    finally:
        running.stop()
