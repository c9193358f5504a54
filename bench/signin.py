"""Identity's sign-ins per second with Argon2id at the chosen parameters (issue 22), beside a bare
FastAPI endpoint of the same shape, and the Argon2 hash alone at a few parameter sets.

    uv run --group bench python bench/signin.py [--seconds 20] [--accounts 96] [--concurrency 8,32]

Identity runs as its own process (uvicorn, SQLite in a temporary directory, its settings'
Argon2 defaults unless SIPOKAT_ARGON2_* say otherwise); `--accounts` RT heads are created and
activated through its admin API first. Then, for each concurrency, an httpx client keeps that
many sign-ins in flight for `--seconds`, each with the right PIN of the next account in turn (a
success counts against no throttle, and distinct numbers keep each account's own count apart),
and the same client does the same against `bench/bare_signin_app.py`. Reported: sign-ins/s, p50
and p99, the server's and the load generator's CPU, and identity's peak RSS while signing in
(the kernel's VmHWM, reset once the accounts are made) beside its RSS idle.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
from figures import Figure, print_figures
from pwdlib.hashers.argon2 import Argon2Hasher
from support import activated_account

from sipokat.events.broker.topology import Topology
from sipokat.events.envelope import Role
from sipokat.events.testing import DEFAULT_RABBITMQ_URL, delete_topology
from sipokat.identity.domain import Refused, check_password
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import free_port
from sipokat.wilayah import load_default_directory

HERE = Path(__file__).parent
# (MiB, iterations): OWASP's Password Storage Cheat Sheet lists equivalent Argon2id settings
# (19 MiB t=2 is the chosen one; 46 MiB t=1 and 12 MiB t=3 the same strength by its table);
# 64 MiB t=3 is RFC 9106's second recommendation, for machines without the memory of the first.
PARAMETER_SETS = [(19, 2), (46, 1), (12, 3), (64, 3)]


@dataclass(frozen=True)
class Account:
    phone: str
    pin: str


def pins(count: int) -> list[str]:
    """Six-digit PINs that the password rule takes (an RT head's PIN, as most will use)."""
    rng = random.Random(22)
    found: list[str] = []
    while len(found) < count:
        pin = f"{rng.randrange(100_000, 1_000_000)}"
        with contextlib.suppress(Refused):
            check_password(pin, Role.KETUA_RT, "+6281100000000")
            found.append(pin)
    return found


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return (
        next(int(line.split()[1]) for line in status.splitlines() if line.startswith(field)) / 1024
    )


def reset_peak_rss(pid: int) -> None:
    """Start VmHWM over from the current RSS (Linux: `5` into clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wait_live(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{url} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code < 500:
                return
        time.sleep(0.2)
    sys.exit(f"{url} did not come up")


def hash_times(rounds_seconds: float = 2.0) -> dict[tuple[int, int], float]:
    """Milliseconds per Argon2id hash (one lane), median of as many as fit in the time."""
    found: dict[tuple[int, int], float] = {}
    for mib, iterations in PARAMETER_SETS:
        hasher = Argon2Hasher(time_cost=iterations, memory_cost=mib * 1024, parallelism=1)
        hasher.hash("warm up")
        took: list[float] = []
        started = time.perf_counter()
        while len(took) < 3 or (time.perf_counter() - started < rounds_seconds and len(took) < 50):
            before = time.perf_counter()
            hasher.hash("kopi susu di pos ronda")
            took.append(1000 * (time.perf_counter() - before))
        found[(mib, iterations)] = statistics.median(took)
    return found


async def make_accounts(url: str, count: int) -> list[Account]:
    """RT heads of distinct RTs, created by an admin and activated with their PINs."""
    directory = load_default_directory()
    rts = [
        rt
        for city in directory.cities
        for kecamatan in city.kecamatan
        for kelurahan in kecamatan.kelurahan
        for rt in kelurahan.rt_codes()
    ][:count]
    admin = mint_token(ServiceSettings(), subject="bench-admin", role="admin")
    base = 10**7 * random.Random().randrange(10, 99)
    accounts = [Account(f"0812{base + n:08d}", pin) for n, pin in enumerate(pins(len(rts)))]
    gate = asyncio.Semaphore(4)
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:

        async def make(account: Account, rt: str) -> None:
            async with gate:
                await activated_account(
                    client,
                    account.phone,
                    account.pin,
                    name="Bench RT",
                    role="ketua_rt",
                    wilayah=rt,
                    admin={"Authorization": f"Bearer {admin}"},
                )

        await asyncio.gather(*(make(a, rt) for a, rt in zip(accounts, rts, strict=True)))
    return accounts


async def drive(
    url: str, accounts: list[Account], seconds: float, concurrency: int
) -> dict[str, Any]:
    """`concurrency` sign-ins in flight for `seconds`, round-robin over the accounts."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    turn = iter(range(10**9))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                account = accounts[next(turn) % len(accounts)]
                before = time.perf_counter()
                answer = await client.post(
                    "/v1/auth/signin", json={"phone": account.phone, "password": account.pin}
                )
                latencies.append(time.perf_counter() - before)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        started = time.perf_counter()
        cpu = own_cpu_seconds()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu = own_cpu_seconds() - cpu
    ordered = sorted(latencies)
    return {
        "ok": statuses.get(200, 0),
        "statuses": statuses,
        "seconds": elapsed,
        "p50_ms": 1000 * ordered[len(ordered) // 2],
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "load_generator_cores": cpu / elapsed,
    }


def server_run(
    url: str, pid: int, accounts: list[Account], seconds: float, concurrency: int
) -> dict[str, Any]:
    cpu = cpu_seconds(pid)
    result = asyncio.run(drive(url, accounts, seconds, concurrency))
    result["server_cores"] = (cpu_seconds(pid) - cpu) / result["seconds"]
    result["rate"] = result["ok"] / result["seconds"]
    return result


def identity_env(data_dir: str, port: int, topology: Topology) -> dict[str, str]:
    return {
        **os.environ,
        "SIPOKAT_DATA_DIR": data_dir,
        "SIPOKAT_STORE_BACKEND": "sqlite",
        "SIPOKAT_HTTP_PORT": str(port),
        "SIPOKAT_BROKER_PREFIX": topology.prefix,
        "SIPOKAT_LOG_LEVEL": "WARNING",  # a log line per request would be part of the load
        # One client from one address: the edge's rate limit (20/s per address) is not what
        # is measured. The sign-in throttle stays as shipped: right PINs count against nothing.
        "SIPOKAT_RATE_LIMIT_PER_SECOND": "1000000",
        "SIPOKAT_RATE_LIMIT_BURST": "1000000",
    }


def measure(
    seconds: float = 20, accounts: int = 96, concurrency: tuple[int, ...] = (8, 32)
) -> list[Figure]:
    settings = IdentitySettings()
    chosen = (settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism)
    argon2 = f"Argon2id {chosen[0] / 1024:g} MiB t={chosen[1]} p={chosen[2]}"
    load_before = " ".join(f"{n:.2f}" for n in os.getloadavg())
    hashing = hash_times()  # before the servers start
    topology = Topology(f"bench-{uuid.uuid4().hex[:8]}")
    bare_port, identity_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        bare = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(HERE),
                "bare_signin_app:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        log = (Path(data_dir) / "identity.log").open("ab")
        identity = subprocess.Popen(
            [sys.executable, "-m", "sipokat.runtime.serve", "identity"],
            env=identity_env(data_dir, identity_port, topology),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        bare_url, identity_url = (
            f"http://127.0.0.1:{bare_port}",
            f"http://127.0.0.1:{identity_port}",
        )
        runs: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        try:
            wait_live(f"{bare_url}/docs", bare)
            wait_live(f"{identity_url}/health/live", identity)
            time.sleep(1.0)  # past start-up work
            idle = rss_mib(identity.pid)
            made = time.perf_counter()
            people = asyncio.run(make_accounts(identity_url, accounts))
            made = time.perf_counter() - made
            reset_peak_rss(identity.pid)
            for level in concurrency:
                baseline = server_run(bare_url, bare.pid, people, seconds, level)
                measured = server_run(identity_url, identity.pid, people, seconds, level)
                runs[level] = (measured, baseline)
            peak = rss_mib(identity.pid, "VmHWM")
            if identity.poll() is not None:
                sys.exit(f"identity exited with {identity.returncode}")
        except BaseException:
            log.close()
            print((Path(data_dir) / "identity.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            for process in (bare, identity):
                process.terminate()
                process.wait(timeout=20)
            with contextlib.suppress(Exception):  # identity may declare nothing on the broker
                url = os.environ.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
                asyncio.run(delete_topology(url, topology, ["identity"]))
    cores = psutil.cpu_count() or 0
    load_after = " ".join(f"{n:.2f}" for n in os.getloadavg())
    figures = []
    for level, (measured, baseline) in runs.items():
        refused = {k: v for k, v in measured["statuses"].items() if k != 200}
        figures.append(
            Figure(
                f"identity POST /v1/auth/signin, {argon2}, {level} concurrent",
                "sign-ins/s",
                measured["rate"],
                baseline=baseline["rate"],
                baseline_name=(
                    f"bare FastAPI, same body and answer shape; p50 {baseline['p50_ms']:.1f} ms, "
                    f"p99 {baseline['p99_ms']:.1f} ms"
                ),
                notes=(
                    f"p50 {measured['p50_ms']:.0f} ms, p99 {measured['p99_ms']:.0f} ms; "
                    f"{cores} cores; not 200: {refused or 'none'}"
                ),
                extra={
                    "identity_cores": measured["server_cores"],
                    "bare_cores": baseline["server_cores"],
                    "load_generator_cores_identity": measured["load_generator_cores"],
                    "load_generator_cores_bare": baseline["load_generator_cores"],
                    "signins": float(measured["ok"]),
                    "seconds": measured["seconds"],
                    "load_average_before": load_before,
                    "load_average_after": load_after,
                },
            )
        )
    figures.append(
        Figure(
            f"peak RSS, identity, sign-ins at up to {max(concurrency)} concurrent",
            "MiB",
            peak,
            baseline=idle,
            baseline_name="idle, just after start",
            higher_is_better=False,
            notes=f"{len(people)} accounts made and activated in {made:.0f} s before",
        )
    )
    mine = hashing[(chosen[0] // 1024, chosen[1])] if chosen[2] == 1 else None
    for (mib, iterations), ms in hashing.items():
        figures.append(
            Figure(
                f"Argon2id hash alone, {mib} MiB t={iterations} p=1",
                "ms",
                ms,
                baseline=mine if (mib * 1024, iterations) != chosen[:2] else None,
                baseline_name=f"{argon2}, the chosen",
                higher_is_better=False,
                notes=f"at most {1000 / ms:.0f} hashes/s a core",
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--accounts", type=int, default=96)
    parser.add_argument("--concurrency", default="8,32", help="comma-separated")
    args = parser.parse_args()
    levels = tuple(int(n) for n in args.concurrency.split(","))
    print_figures(measure(args.seconds, args.accounts, levels))


if __name__ == "__main__":
    main()
