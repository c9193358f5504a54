"""The failover proof end to end, where a three-member replica set can be started here (mongod on
PATH or MONGOD, else Docker); skipped otherwise, with the reason, as the contract suite is.

It runs the script as an operator would, shorter than `make mongo-failover` (one kill, 40 s of
appends) and without the MongoDB tests, which the same `-m mongodb` selection runs anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mongo_failover.replset import mongod_path

from sipokat.events.testing import docker_available

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.mongodb
@pytest.mark.timeout(900)
def test_every_acknowledged_event_is_published_once_through_a_primary_kill(
    rabbitmq_url: str,
) -> None:
    if mongod_path() is None and not docker_available():
        pytest.skip(
            "the failover proof needs a three-member replica set: mongod on PATH (or MONGOD) or "
            "Docker for testcontainers; neither is available here (`make mongo-failover "
            "ARGS='--url …'` proves one you run, stepping its primary down)"
        )
    done = subprocess.run(
        [
            sys.executable, str(ROOT / "scripts" / "mongo-failover.py"),
            "--duration", "40", "--writers", "4", "--kills", "1", "--skip-suite",
        ],
        cwd=ROOT,
        env=os.environ | {"RABBITMQ_URL": rabbitmq_url},
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "RESULT: every acknowledged event stored and published once" in done.stdout
    assert "1. killed" in done.stdout
