"""Set-up the benchmarks that run the whole platform share: the browser and the apps' build, the
five services, and activated accounts made through the admin API."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
from processes import SERVICES, Platform

from sipokat.runtime.testing import bearer

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def run(command: list[str], cwd: Path, timeout: float) -> None:
    subprocess.run(command, cwd=cwd, check=True, timeout=timeout)


def chromium_and_apps() -> str:
    """Debian's Chromium (installed when missing) and the apps as `make app` builds them; the
    Chromium's path."""
    if shutil.which("chromium") is None:
        run(["bash", str(ROOT / "scripts/install-chromium.sh")], ROOT, 900)
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("chromium is not installed and scripts/install-chromium.sh could not install it")
    run(["bash", str(ROOT / "scripts/build-app.sh")], ROOT, 900)
    return chromium


def load_average() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def on_platform(work: Callable[[Platform], T]) -> T:
    """`work` against the five services (identity too) as `make run` starts them; their logs are
    kept when anything fails, so a broken run can be read."""
    platform = Platform(services=(*SERVICES, "identity"))
    try:
        platform.start()
        result = work(platform)
        platform.check_running()
    except BaseException:
        platform.close(keep_logs=True)
        raise
    platform.close()
    return result


def new_phone(prefix: str = "0813") -> str:
    return f"{prefix}{uuid.uuid4().int % 10**8:08d}"


async def activated_account(
    client: httpx.AsyncClient,
    phone: str,
    password: str,
    *,
    name: str,
    role: str,
    wilayah: str,
    admin: dict[str, str] | None = None,
) -> str:
    """An account made by an admin (a development token unless `admin` says otherwise) and
    activated with `password`; its phone number."""
    created = await client.post(
        "/v1/accounts",
        json={"name": name, "phone": phone, "role": role, "wilayah": wilayah},
        headers=admin or bearer("admin", None),
    )
    created.raise_for_status()
    activated = await client.post(
        "/v1/auth/activate",
        json={"phone": phone, "code": created.json()["activation_code"], "password": password},
    )
    activated.raise_for_status()
    return phone
