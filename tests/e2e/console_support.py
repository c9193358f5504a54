"""What the console's browser tests (test_console*.py, test_analytics_dashboard.py) share: its
verifiers' accounts, a browser context with axe-core, a screen's checks and the console's forms.
A plain module, as harness.py and browsers.py are; the fixtures are in conftest.py."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from browsers import AXE, ROOT
from harness import KELURAHAN, RT, activated_account, auth, new_account, report_body

CONSOLE = ROOT / "apps/console"
PASSWORD = "Kelurahan-Pelita-2026"
LURAH = auth("lurah", KELURAHAN)
TIMEOUT = 30_000  # ms, for what waits on the platform


async def new_lurah(gateway: httpx.AsyncClient, name: str) -> tuple[str, str]:
    """A lurah of KELURAHAN made by the admin: the phone number and activation code."""
    return await new_account(gateway, name, "lurah", KELURAHAN)


async def activated_lurah(gateway: httpx.AsyncClient, name: str) -> str:
    """A lurah of KELURAHAN, activated through the API with PASSWORD: the phone number."""
    return await activated_account(gateway, name, "lurah", KELURAHAN, PASSWORD)


async def submit(gateway: httpx.AsyncClient, title: str) -> str:
    """A report of RT's head through the API; its id."""
    sent = await gateway.post(
        "/v1/reports",
        json=report_body(title),
        headers={**auth("ketua_rt", RT), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert sent.status_code == 202, sent.text
    return str(sent.json()["report_id"])


async def context_for(
    browser: Browser, width: int, height: int, timezone_id: str = "UTC", **options: Any
) -> BrowserContext:
    context = await browser.new_context(
        viewport={"width": width, "height": height},
        locale="id-ID",
        timezone_id=timezone_id,
        **options,
    )
    # As an init script: the console's Content-Security-Policy (own scripts only) stays on.
    await context.add_init_script(path=str(AXE))
    return context


async def check_screen(page: Page, shots: Path, name: str, screenshot: bool = False) -> None:
    """No serious or critical axe-core violation, and nothing wider than the viewport."""
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: {serious}"
    wide = await page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert wide[0] <= wide[1], f"{name} scrolls sideways: {wide}"
    if screenshot:
        await page.screenshot(path=str(shots / f"{name}.png"))


async def sign_in(page: Page, base: str, phone: str, password: str = PASSWORD) -> None:
    """The console's sign-in form, filled and sent (what follows is the caller's to wait for)."""
    await page.goto(f"{base}/console/")
    await page.get_by_label("Nomor HP").fill(phone)
    await page.get_by_label(re.compile("^Kata sandi")).fill(password)
    await page.get_by_role("button", name="Masuk", exact=True).click()


async def activate(page: Page, base: str, phone: str, code: str) -> None:
    """The first sign-in in the console, with the admin's code and a new password."""
    await page.goto(f"{base}/console/#/activate")
    await expect(page.get_by_role("heading", name="Aktifkan akun")).to_be_visible()
    await page.get_by_label("Nomor HP").fill(phone)
    await page.get_by_label("Kode aktivasi atau reset").fill(code)
    await page.get_by_label(re.compile(r"^Kata sandi baru")).fill(PASSWORD)
    await page.get_by_label(re.compile(r"^Ulangi kata sandi baru")).fill(PASSWORD)
    await page.get_by_role("button", name="Aktifkan dan masuk").click()
    await expect(page.get_by_role("heading", name=re.compile("^Daftar kerja"))).to_be_visible()
