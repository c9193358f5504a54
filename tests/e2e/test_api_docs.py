"""The API docs through the running gateway, as a client-app developer without internet sees
them: the merged /openapi.json of the five real services, and /docs (Swagger UI) and /redoc
(ReDoc) drawn by a real headless Chromium (Debian's) whose network reaches this machine only —
every host name fails to resolve, so a file from a CDN would leave the page blank — under the
pages' Content-Security-Policy, which must refuse nothing."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from browsers import headless
from harness import SERVICES, Platform
from sipokat.intake.adapters.openapi_merge import MISSING, UPSTREAM

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

ROOT = Path(__file__).resolve().parents[2]


def offline_dom(url: str) -> tuple[str, str]:
    """(the page's DOM once drawn, the browser's log) with no host name resolving but
    127.0.0.1's: nothing off this machine is reached."""
    return headless(
        url,
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        budget_ms=30000,
        timeout=180,
    )


# ReDoc always draws Redocly's logo from its CDN at the foot of its menu (no option turns it
# off): the policy refuses it, the image hides itself, nothing else is missing.
REDOC_BADGE = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def refused(log: str) -> list[str]:
    """The browser's console lines about something the page's policy refused (but ReDoc's
    badge)."""
    return [
        line
        for line in log.splitlines()
        if "Content Security Policy" in line and REDOC_BADGE not in line
    ]


async def test_the_merged_document_covers_all_five_services(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.url(), timeout=30) as gateway:
        document = (await gateway.get("/openapi.json")).json()
    assert MISSING not in document
    paths = document["paths"]
    assert "post" in paths["/v1/reports"] and UPSTREAM not in paths["/v1/reports"]["post"]
    served = {
        "verification": ("get", "/v1/reports/{report_id}"),
        "analytics": ("get", "/v1/analytics/summary"),
        "notification": ("get", "/v1/notifications/inbox"),
        "identity": ("post", "/v1/auth/signin"),
    }
    for service, (method, path) in served.items():
        if service in SERVICES:
            assert paths[path][method][UPSTREAM] == service, path


# How each viewer draws an operation's path: Swagger UI in a span of its own, ReDoc as text
# beside the method in its right panel.
DRAWN = {
    "/docs": r'class="opblock-summary-path"[^>]*data-path="{path}"',
    "/redoc": r">{path}<",
}


async def test_the_docs_pages_draw_the_operations_without_internet(platform: Platform) -> None:
    paths = ["/v1/reports/{report_id}", "/v1/analytics/summary", "/v1/reports"]
    if "identity" in SERVICES:
        paths.append("/v1/auth/signin")
    for page, drawn in DRAWN.items():
        dom, log = offline_dom(platform.url() + page)
        for path in paths:
            assert re.search(drawn.format(path=re.escape(path)), dom), (page, path, dom[-3000:])
        assert refused(log) == [], page
