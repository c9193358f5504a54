"""Intake's POST /v1/reports beside a bare FastAPI endpoint that only validates the same body.

    uv run --group bench python bench/intake_vs_bare.py [--seconds 15] [--connections 32]

Both run as one uvicorn process on this machine; wrk (Debian's package, installed when missing)
offers the load from one thread. Intake's rate counts a report only once it is stored AND the broker
confirmed its publication: the run ends when the relay has caught up. Target: intake ≥ 0.6 of bare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import httpx
import psutil
from figures import Figure, table

from sipokat.events.broker.topology import Topology
from sipokat.events.testing import DEFAULT_RABBITMQ_URL, PLATFORM_SERVICES, delete_topology
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings

HERE = Path(__file__).parent
RT = "16.73.02.1019/007"
BODY = {
    "kind": "kegiatan",
    "bidang": "kesehatan_lingkungan",
    "title": "Kerja bakti membersihkan saluran air",
    "description": "Warga RT 007 bergotong royong membersihkan saluran air.",
    "activity_date": date.today().isoformat(),
}


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install).returncode != 0:
        # A fresh machine may not have read the package lists yet.
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(install, check=True)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def wait_live(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not come up")


def run_wrk(wrk: str, url: str, token: str, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(json.dumps(BODY))}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        )
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(script.name)
    total = int(re.search(r"(\d+) requests in", output)[1])  # type: ignore[index]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    wrk_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    return {
        "ok": total - (int(failed[1]) if failed else 0),
        "total": total,
        "seconds": elapsed,
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "load_generator_cpu": wrk_cpu / elapsed,  # share of one core
    }


def _ms(text: str) -> float:
    value, unit = float(re.match(r"[\d.]+", text)[0]), re.sub(r"[\d.]+", "", text)  # type: ignore[index]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def relay_caught_up(ready_url: str) -> None:
    while True:
        checks = httpx.get(ready_url, timeout=5).json()["checks"]
        if checks["relay:lag"][0].get("observedValue") == 0:
            return
        time.sleep(0.05)


def intake_env(data_dir: str, topology: Topology) -> dict[str, str]:
    """Intake on its own data and broker names, with no rate limit: wrk is one client."""
    return {
        **os.environ,
        "SIPOKAT_DATA_DIR": data_dir,
        "SIPOKAT_BROKER_PREFIX": topology.prefix,
        "SIPOKAT_RATE_LIMIT_PER_SECOND": "1000000",
        "SIPOKAT_RATE_LIMIT_BURST": "1000000",
    }


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """CPU time of a server process (all its threads) so far."""
    times = psutil.Process(process.pid).cpu_times()
    return float(times.user + times.system)


def measure(seconds: int = 15, connections: int = 32) -> list[Figure]:
    wrk = ensure_wrk()
    token = mint_token(ServiceSettings(), subject="bench-rt", role="ketua_rt", wilayah=RT)
    topology = Topology(f"bench-{uuid.uuid4().hex[:8]}")
    with tempfile.TemporaryDirectory() as data_dir:
        env = intake_env(data_dir, topology)
        bare = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(HERE),
                "bare_app:app",
                "--port",
                "18100",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        intake = subprocess.Popen(
            [sys.executable, "-m", "sipokat.runtime.serve", "intake", "--port", "18101"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_live("http://127.0.0.1:18100/docs")
            wait_live("http://127.0.0.1:18101/health/live")
            bare_cpu = cpu_seconds(bare)
            baseline = run_wrk(
                wrk, "http://127.0.0.1:18100/v1/reports", token, seconds, connections
            )
            bare_cpu = cpu_seconds(bare) - bare_cpu
            intake_cpu = cpu_seconds(intake)
            started = time.perf_counter()
            measured = run_wrk(
                wrk, "http://127.0.0.1:18101/v1/reports", token, seconds, connections
            )
            relay_caught_up("http://127.0.0.1:18101/health/ready")
            measured["seconds"] = time.perf_counter() - started  # until the last is confirmed
            intake_cpu = cpu_seconds(intake) - intake_cpu
        finally:
            for process in (bare, intake):
                process.terminate()
                process.wait(timeout=20)
            url = env.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
            asyncio.run(delete_topology(url, topology, PLATFORM_SERVICES))
    bare_rate = baseline["ok"] / baseline["seconds"]
    intake_rate = measured["ok"] / measured["seconds"]
    failures = (measured["total"] - measured["ok"]) + (baseline["total"] - baseline["ok"])
    notes = f"p50 {measured['p50_ms']:.1f} ms, p99 {measured['p99_ms']:.1f} ms"
    return [
        Figure(
            "a. intake POST /v1/reports, stored + confirmed published",
            "reports/s",
            intake_rate,
            baseline=bare_rate,
            baseline_name=(
                f"bare FastAPI validating the body; p50 {baseline['p50_ms']:.1f} ms, "
                f"p99 {baseline['p99_ms']:.1f} ms"
            ),
            target=0.6,
            notes=notes,
            extra={
                "intake_cpu_us_per_report": 1e6 * intake_cpu / max(measured["ok"], 1),
                "bare_cpu_us_per_request": 1e6 * bare_cpu / max(baseline["ok"], 1),
                "wrk_core_share_intake": measured["load_generator_cpu"],
                "wrk_core_share_bare": baseline["load_generator_cpu"],
                "non_2xx": failures,
            },
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    figures = measure(args.seconds, args.connections)
    print(table(figures))
    for name, value in figures[0].extra.items():
        print(f"  {name}: {value:.2f}")


if __name__ == "__main__":
    main()
