"""Start the services as child processes and keep them running until Ctrl-C.

The identity service is one of them when it is installed (`sipokat.identity`); every service
trusts its tokens at `SIPOKAT_IDENTITY_JWKS_URL` (identity's port) either way. Until the first
admin exists, every start prints a fresh one-time code with which a person becomes it
(`firstrun`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

from sipokat.ops.firstrun import first_admin_banner, first_run_code
from sipokat.runtime.settings import DEFAULT_PORTS, ServiceSettings, installed_services

SERVICES = tuple(installed_services())


def _live(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def ports_from(base_port: int | None) -> dict[str, int]:
    """The services' ports: the defaults (8000…), or the same order from `base_port` on."""
    if base_port is None:
        return dict(DEFAULT_PORTS)
    return {service: base_port + n for n, service in enumerate(DEFAULT_PORTS)}


def service_env(ports: dict[str, int]) -> dict[str, str]:
    """Where the services find each other on these ports (what the environment sets wins)."""
    url = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    found = {
        "SIPOKAT_VERIFICATION_URL": url["verification"],
        "SIPOKAT_ANALYTICS_URL": url["analytics"],
        "SIPOKAT_NOTIFICATION_URL": url["notification"],
        "SIPOKAT_IDENTITY_URL": url["identity"],
        "SIPOKAT_IDENTITY_JWKS_URL": f"{url['identity']}/.well-known/jwks.json",
    }
    return {**found, **os.environ}


def run_platform(
    services: list[str], startup_timeout: float = 60, base_port: int | None = None
) -> int:
    # Explicit handlers: a launcher started in the background inherits an ignored SIGINT.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    settings = ServiceSettings()
    ports = ports_from(base_port)
    shared = service_env(ports)
    children: dict[str, subprocess.Popen[bytes]] = {}
    for service in services:
        env = {**shared, "SIPOKAT_HTTP_PORT": str(ports[service])}
        children[service] = subprocess.Popen(
            [sys.executable, "-m", "sipokat.runtime.serve", service], env=env
        )
    deadline = time.monotonic() + startup_timeout
    waiting = set(services)
    while waiting and time.monotonic() < deadline:
        for service in list(waiting):
            if children[service].poll() is not None:
                print(f"{service} exited with {children[service].returncode}", file=sys.stderr)
                _stop(children)
                return 1
            if _live(ports[service]):
                waiting.discard(service)
        time.sleep(0.2)
    if waiting:
        print(f"not up after {startup_timeout}s: {', '.join(sorted(waiting))}", file=sys.stderr)
        _stop(children)
        return 1
    gateway = f"http://127.0.0.1:{ports['intake']}"
    # Asked of identity's store once the service is up (it made the store and its keys);
    # printed here and nowhere else: never to a log.
    code = first_run_code() if "identity" in services else None
    print(
        f"\nSipokat is running ({settings.store_backend} stores in {settings.data_dir}/, "
        f"broker {settings.rabbitmq_url.split('@')[-1]}).\n"
        f"  Gateway:  {gateway}   (API docs {gateway}/docs)\n"
        f"  RT app:   {gateway}/app/\n"
        f"  Console:  {gateway}/console/   (lurah, camat, city office)\n"
        f"  Health:   {gateway}/health/ready\n"
        f"{first_admin_banner(gateway, code, 'identity' in services)}"
        "  Dev token (tests, local tries): "
        "uv run sipokat token --role ketua_rt --wilayah 16.73.02.1019/007\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    try:
        while all(child.poll() is None for child in children.values()):
            time.sleep(0.5)
        dead = [s for s, c in children.items() if c.poll() is not None]
        print(f"stopped unexpectedly: {', '.join(dead)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children)


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children.values():
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
