"""Where intake's CPU goes per report, by part of the request path (py-spy under wrk).

    uv run --group bench python bench/profile_intake.py [--seconds 15]

Starts intake as bench/intake_vs_bare.py does, offers POST /v1/reports with wrk, and samples the
process with `py-spy record --gil` (what holds the interpreter, all threads). Each sample goes to
the deepest frame on its stack that belongs to a known part (library internals such as pydantic,
json or asyncio count for the part that called them), and the shares are turned into
microseconds of CPU per report with the process's own CPU time. The bare FastAPI endpoint of
bench/bare_app.py is profiled the same way beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import psutil
from intake_vs_bare import (
    RT,
    cpu_seconds,
    ensure_wrk,
    intake_env,
    relay_caught_up,
    run_wrk,
    wait_live,
)

from sipokat.events.broker.topology import Topology
from sipokat.events.testing import DEFAULT_RABBITMQ_URL, PLATFORM_SERVICES, delete_topology
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings

# (part, path fragments): a frame belongs to the first part one of whose fragments is in its file.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("access log (structlog)", ("structlog/", "logging/__init__")),
    ("event store append (SQLite, group commit)", ("events/store/sqlite/",)),
    (
        "relay: read, build, publish, confirm",
        ("broker/relay.py", "broker/publisher.py", "aio_pika/", "aiormq/", "pamqp/"),
    ),
    ("consumer (verification's decisions)", ("broker/consumer.py", "broker/connection.py")),
    (
        "handler: rules, envelope, ids",
        ("intake/handlers.py", "intake/domain.py", "intake/views.py", "events/envelope.py"),
    ),
    ("route: idempotency, answer", ("intake/entrypoints/", "intake/idempotency.py")),
    ("token check", ("runtime/auth.py", "jwt/")),
    ("rate and body limits", ("runtime/limits.py",)),
    ("correlation id, metrics", ("runtime/middleware.py", "prometheus_client/")),
    ("FastAPI/Starlette: routing, dependencies, validation", ("fastapi/", "starlette/")),
    ("HTTP server (uvicorn, httptools)", ("uvicorn/", "httptools")),
]
# The event loop's own frames count for whoever they run for; only a sample with nothing else on
# its stack is the loop itself.
LOOP = ("event loop (asyncio, uvloop)", ("asyncio/", "uvloop/"))


def part_of(stack: str) -> str:
    found = "other"
    for frame in stack.split(";"):
        for part, fragments in PARTS:
            if any(fragment in frame for fragment in fragments):
                found = part
                break
        else:
            if found == "other" and any(fragment in frame for fragment in LOOP[1]):
                found = LOOP[0]
    return found


def breakdown(raw: Path) -> Counter[str]:
    samples: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            samples[part_of(stack)] += int(count)
    return samples


def profile(
    command: list[str], port: int, env: dict[str, str], seconds: int, connections: int, token: str
) -> tuple[float, float, Counter[str]]:
    """Requests/s, CPU microseconds per request, and the samples by part, of one server."""
    wrk = ensure_wrk()
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "samples.raw"
        try:
            wait_live(f"{url}/health/live" if "sipokat" in " ".join(command) else f"{url}/docs")
            run_wrk(wrk, f"{url}/v1/reports", token, 3, connections)  # warm up
            spy = subprocess.Popen(
                [
                    *("py-spy", "record", "--gil", "--nonblocking", "-r", "250", "-f", "raw"),
                    *("-d", str(seconds), "-o", str(raw), "-p", str(server.pid)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            before = cpu_seconds(server)
            measured = run_wrk(wrk, f"{url}/v1/reports", token, seconds, connections)
            if "sipokat" in " ".join(command):
                relay_caught_up(f"{url}/health/ready")
            used = cpu_seconds(server) - before
            spy.wait(timeout=60)
        finally:
            server.terminate()
            server.wait(timeout=20)
        samples = breakdown(raw) if raw.exists() else Counter()
    rate = measured["ok"] / measured["seconds"]
    return rate, 1e6 * used / max(measured["ok"], 1), samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    token = mint_token(ServiceSettings(), subject="bench-rt", role="ketua_rt", wilayah=RT)
    topology = Topology(f"bench-{uuid.uuid4().hex[:8]}")
    here = str(Path(__file__).parent)
    with tempfile.TemporaryDirectory() as data_dir:
        env = intake_env(data_dir, topology)
        try:
            bare = profile(
                [
                    *(sys.executable, "-m", "uvicorn", "--app-dir", here, "bare_app:app"),
                    *("--log-level", "warning", "--no-access-log"),
                ],
                18103,
                env,
                args.seconds,
                args.connections,
                token,
            )
            intake = profile(
                [sys.executable, "-m", "sipokat.runtime.serve", "intake"],
                18102,
                env,
                args.seconds,
                args.connections,
                token,
            )
        finally:
            url = env.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
            asyncio.run(delete_topology(url, topology, PLATFORM_SERVICES))
    print(
        f"bare FastAPI: {bare[0]:.0f} requests/s, {bare[1]:.0f} us CPU per request; intake: "
        f"{intake[0]:.0f} reports/s (stored + confirmed), {intake[1]:.0f} us CPU per report "
        f"(py-spy sampling at 250 Hz; load average {os.getloadavg()[0]:.1f}, "
        f"{psutil.cpu_count()} cores)\n"
    )
    print("| part of the request path | intake us/report | bare us/request |")
    print("| --- | ---: | ---: |")
    intake_total = sum(intake[2].values()) or 1
    bare_total = sum(bare[2].values()) or 1
    for part, count in intake[2].most_common():
        mine = intake[1] * count / intake_total
        theirs = bare[1] * bare[2].get(part, 0) / bare_total
        print(f"| {part} | {mine:.0f} | {theirs:.0f} |")


if __name__ == "__main__":
    main()
