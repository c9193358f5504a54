"""The console's worklist updates itself (issue 24): a lurah's console is open on the worklist in
headless Chromium, an RT head submits reports through the API, and each appears without a
reload, through the inbox stream (GET /v1/notifications/stream via the gateway).

Access tokens live one minute here, so the console reopens its stream with a refreshed token
within the test (it does so before its token runs out); a report sent after that still appears.
Then the notification service is killed: the console says it lost the connection, and once the
service is back the stream reconnects (with backoff) and the next report appears. Last, a burst
of fifty: those past the loaded list are listed apart from their notices.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from e2e.console_support import (
    TIMEOUT,
    activated_lurah,
    check_screen,
    context_for,
    sign_in,
    submit,
)
from playwright.async_api import Browser, Page, Request, expect

from harness import Platform, running_platform

pytestmark = [pytest.mark.e2e, pytest.mark.broker]


@pytest.fixture
async def platform(rabbitmq_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    """The platform with one-minute access tokens (identity's shortest)."""
    settings = {"SIPOKAT_ACCESS_TOKEN_MINUTES": "1"}
    async with running_platform(rabbitmq_url, tmp_path, settings=settings) as running:
        yield running


def is_stream(request: Request) -> bool:
    return request.url.endswith("/v1/notifications/stream")


async def appears(page: Page, report_id: str) -> None:
    link = page.locator(f'[data-testid="worklist"] a[href="#/report/{report_id}"]')
    await expect(link).to_be_visible(timeout=TIMEOUT)


@pytest.mark.timeout(300)
async def test_reports_appear_in_the_open_worklist(
    platform: Platform, browser: Browser, built_console: Path, shots: Path
) -> None:
    base = platform.url()
    tag = uuid.uuid4().hex[:4]
    async with httpx.AsyncClient(base_url=base, timeout=15) as gateway:
        phone = await activated_lurah(gateway, "Bu Lurah Langsung")

        context = await context_for(browser, 390, 844)
        page = await context.new_page()
        streams: list[str] = []
        page.on(
            "request",
            lambda r: streams.append(r.headers.get("authorization", "")) if is_stream(r) else None,
        )
        await sign_in(page, base, phone)
        await expect(page.get_by_test_id("worklist-empty")).to_be_visible(timeout=TIMEOUT)
        live = page.get_by_test_id("live-state")
        await expect(live).to_have_class(re.compile(r"\blive\b"), timeout=TIMEOUT)
        await expect(live).to_contain_text("Langsung")

        # A report arrives: in the list, marked new, said in the live region, counted.
        first = await submit(gateway, f"Gotong royong {tag}")
        await appears(page, first)
        await expect(page.get_by_test_id("arrived")).to_have_text("1 laporan baru")
        await expect(page.get_by_test_id("counts")).to_contain_text("1 laporan menunggu")
        await expect(page.locator(".badge.new")).to_have_count(1)
        await check_screen(page, shots, "live-1-arrived", screenshot=True)

        # On a report page the same stream keeps the badge live: a notice is counted and said
        # politely, and nothing else moves (the same report stays open).
        badge = page.get_by_test_id("unread-badge").locator('[aria-hidden="true"]')
        await expect(badge).to_have_text("1", timeout=TIMEOUT)
        await page.locator(f'[data-testid="worklist"] a[href="#/report/{first}"]').click()
        heading = page.locator("#screen-title")
        await expect(heading).to_contain_text(f"Gotong royong {tag}", timeout=TIMEOUT)
        opened = len(streams)
        elsewhere = await submit(gateway, f"Bank sampah {tag}")
        await expect(badge).to_have_text("2", timeout=TIMEOUT)
        await expect(page.get_by_test_id("live-notices")).to_have_text(
            f"Pemberitahuan baru: Bank sampah {tag}"
        )
        await expect(page).to_have_url(re.compile(f"#/report/{first}$"))
        await expect(heading).to_contain_text(f"Gotong royong {tag}")
        assert len(streams) == opened, "the badge's stream is the worklist's, not a second one"
        await check_screen(page, shots, "live-1b-badge", screenshot=True)
        nav = page.get_by_role("navigation")
        await nav.get_by_role("link", name=re.compile("^Daftar kerja")).click()
        await appears(page, elsewhere)

        # A burst: three more, one re-read (or a few), all shown; the filters are kept.
        await page.get_by_label("RT").select_option(index=1)
        chosen = await page.get_by_label("RT").input_value()
        burst = [await submit(gateway, f"Posyandu {tag} {n}") for n in range(3)]
        for report_id in burst:
            await appears(page, report_id)
        assert await page.get_by_label("RT").input_value() == chosen
        await page.get_by_label("RT").select_option("")

        # The access token (one minute; renewed 30 s before) runs out: the stream is reopened
        # with a new one, and a report sent after that still appears.
        before = streams[-1]
        async with page.expect_request(is_stream, timeout=60_000) as reopened:
            pass
        assert (await reopened.value).headers["authorization"] != before, "the same token"
        await expect(live).to_have_class(re.compile(r"\blive\b"), timeout=TIMEOUT)
        # The verifier's place is kept: the focused card stays focused as the list grows.
        focused = page.locator(f'[data-testid="worklist"] a[href="#/report/{first}"]')
        await focused.focus()
        later = await submit(gateway, f"Ronda malam {tag}")
        await appears(page, later)
        await expect(focused).to_be_focused()

        # The stream is cut (the notification service dies): said, retried, and once the
        # service is back, reports appear again.
        await asyncio.to_thread(platform.kill, "notification")
        await expect(live).to_contain_text("Terputus", timeout=TIMEOUT)
        await check_screen(page, shots, "live-2-disconnected", screenshot=True)
        await asyncio.to_thread(platform.start, "notification")
        await expect(live).to_have_class(re.compile(r"\blive\b"), timeout=60_000)
        last = await submit(gateway, f"Kerja bakti {tag}")
        await appears(page, last)
        await expect(page.get_by_test_id("counts")).to_contain_text("7 laporan menunggu")

        # A burst past the loaded list (50 items): the newest are listed from their notices,
        # behind a disclosure, linked to their reports.
        more = await asyncio.gather(*(submit(gateway, f"Siskamling {tag} {n}") for n in range(50)))
        await expect(page.get_by_test_id("counts")).to_contain_text(
            "57 laporan menunggu", timeout=TIMEOUT
        )
        arrivals = page.get_by_test_id("arrivals")
        await arrivals.locator("summary").click()
        await expect(arrivals.locator("a")).not_to_have_count(0)
        # Named as the worklist names a report (title, RT, kelurahan), not by the notice's words.
        await expect(arrivals.locator("a").first).to_contain_text(f"Siskamling {tag}")
        await expect(arrivals.locator("a").first).to_contain_text(re.compile(r"RT \d{3}, \w"))
        await expect(arrivals).not_to_contain_text("menunggu verifikasi")
        for report_id in more:  # each one linked, in the list or among the arrivals
            await expect(page.locator(f'main a[href="#/report/{report_id}"]')).to_have_count(1)
        await check_screen(page, shots, "live-3-arrivals", screenshot=True)
        await context.close()
