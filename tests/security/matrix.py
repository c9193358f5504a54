"""The role x operation x jurisdiction matrix: one row per authenticated operation of every
service, the status each caller must get on the real objects of `World`.

The rules (docs/decisions.md): a report, photo, inbox item or subscription that is not the
caller's to see answers 404, as if it did not exist; 403 is for a role that may not do this at
all; analytics areas are public knowledge (the directory), so an area outside one's own is 403.

`python tests/security/matrix.py` rewrites the table in docs/security.md; a test fails when the
document and this table disagree.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

if __name__ == "__main__":  # run as a script: the sibling module is not on the path yet
    sys.path.insert(0, str(Path(__file__).parent))
    from principals import CALLERS, KELURAHAN, RT
else:
    from security.principals import CALLERS, KELURAHAN, RT


class World(Protocol):
    """The real objects the matrix acts on, made by a real flow through the gateway."""

    report_id: str  # RT 007's report, approved by its lurah: awaiting the camat
    photo_sha256: str  # RT 007's photo, shown in that report
    inbox_item: str  # an item in the lurah's inbox about RT 007's report
    subscription_id: str  # the integrator's webhook subscription

    def photo(self) -> bytes: ...  # another PNG, for uploads
    def fresh_subscription(self) -> str: ...  # a new subscription of the integrator


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    params: Mapping[str, str] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    content: bytes | None = None  # a body that is not JSON (a roster CSV)


@dataclass(frozen=True)
class Row:
    service: str
    method: str
    path: str  # as in the service's OpenAPI document
    expect: Mapping[str, int]  # caller name -> status
    call: Callable[[World], Call] = field(compare=False)
    object: str = "-"  # what the call acts on, for the document
    # The same call on an object that does not exist, for the operations on one object.
    missing: Callable[[World], Call] | None = field(default=None, compare=False)

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}"

    def expect_missing(self) -> dict[str, int]:
        """Existence does not leak: a caller refused the real object (403: the role may not do
        this; 404: not theirs to see) gets the same answer for one that does not exist, and
        everyone else 404."""
        return {name: 403 if status == 403 else 404 for name, status in self.expect.items()}


EVERYONE = [caller.name for caller in CALLERS]
RTS = ["rt", "rt_other"]
VERIFIERS = ["lurah", "lurah_other", "lurah_kediri", "camat", "camat_other", "pemkot"]
VERIFIERS += ["pemkot_kediri"]
COVER = ["rt", "lurah", "camat", "pemkot", "admin"]
MANAGERS = ["admin", "integrator", "integrator_other"]
SUBSCRIPTION_OWNERS = ["integrator", "admin"]  # the owner, and admins who see all


def statuses(otherwise: int, *groups: tuple[Iterable[str], int]) -> dict[str, int]:
    """Every caller's status: each group's, the rest `otherwise`."""
    table = dict.fromkeys(EVERYONE, otherwise)
    for names, status in groups:
        table.update(dict.fromkeys(names, status))
    return table


def _report_body(title: str) -> dict[str, Any]:
    from harness import report_body  # tests/harness.py, on pytest's path

    return report_body(title)


def _on_report(suffix: str = "") -> Callable[[World], Call]:
    return lambda world: Call(f"/v1/reports/{world.report_id}{suffix}")


# Objects that do not exist, well-formed (a malformed id is a 422 whoever asks).
NO_REPORT = "0190f0c4-7a4e-7c2e-8d6a-4b1f3e2d1c0b"
NO_PHOTO = "f" * 64
NO_ITEM = "no-such-item"
NO_SUBSCRIPTION = "0190f0c4-7a4e-7c2e-8d6a-4b1f3e2d1c0c"


AREA = {"wilayah": KELURAHAN}
FIGURES = ("summary", "ranking", "active-rts", "verification", "rt-performance", "funds")
FIGURES += ("timeseries",)
HOOK = "https://93.184.215.14/hooks/sipokat"  # a public address; patterns nothing sends
NEW_SUBSCRIPTION = {"url": HOOK, "patterns": ["report.overdue.kota"], "description": "matrix"}

ROWS: tuple[Row, ...] = (
    # intake: the gateway's own operations
    Row(
        "intake",
        "POST",
        "/v1/reports",
        statuses(403, (RTS, 202)),
        lambda world: Call("/v1/reports", json=_report_body("Matrix: laporan baru")),
        "a new report",
    ),
    Row(
        "intake",
        "POST",
        "/v1/reports/{report_id}/revisions",
        statuses(403, (["rt"], 409), (["rt_other"], 404)),
        lambda world: Call(
            f"/v1/reports/{world.report_id}/revisions", json=_report_body("Matrix: revisi")
        ),
        "the report (not rejected: 409 for its RT)",
        missing=lambda world: Call(
            f"/v1/reports/{NO_REPORT}/revisions", json=_report_body("Matrix: revisi")
        ),
    ),
    Row(
        "intake",
        "POST",
        "/v1/attachments",
        statuses(403, (RTS, 201)),
        lambda world: Call(
            "/v1/attachments", files={"file": ("p.png", world.photo(), "image/png")}
        ),
        "a new photo",
    ),
    Row(
        "intake",
        "GET",
        "/v1/attachments/{sha256}",
        statuses(404, (COVER, 200)),
        lambda world: Call(f"/v1/attachments/{world.photo_sha256}"),
        "the report's photo",
        missing=lambda world: Call(f"/v1/attachments/{NO_PHOTO}"),
    ),
    # verification
    Row(
        "verification",
        "GET",
        "/v1/reports",
        statuses(200, (["integrator", "integrator_other"], 403)),
        lambda world: Call("/v1/reports"),
        "the caller's own area's reports (the report listed only to those covering it)",
    ),
    Row(
        "verification",
        "GET",
        "/v1/reports/{report_id}",
        statuses(404, (COVER, 200)),
        _on_report(),
        "the report",
        missing=lambda world: Call(f"/v1/reports/{NO_REPORT}"),
    ),
    Row(
        "verification",
        "GET",
        "/v1/reports/{report_id}/events",
        statuses(404, (COVER, 200)),
        _on_report("/events"),
        "the report's stream (what intake catches up from)",
        missing=lambda world: Call(f"/v1/reports/{NO_REPORT}/events"),
    ),
    Row(
        "verification",
        "POST",
        "/v1/reports/{report_id}/decisions",
        statuses(
            403,
            (["lurah", "camat", "pemkot"], 409),
            (["lurah_other", "lurah_kediri", "camat_other", "pemkot_kediri"], 404),
        ),
        # A stale expected_version: the verifiers of the report's area get as far as the
        # state check (409) without changing it, so every cell sees the same report.
        lambda world: Call(
            f"/v1/reports/{world.report_id}/decisions",
            json={"decision": "approve", "expected_version": 1},
        ),
        "the report (a stale decision: 409 in the area)",
        missing=lambda world: Call(
            f"/v1/reports/{NO_REPORT}/decisions",
            json={"decision": "approve", "expected_version": 1},
        ),
    ),
    Row(
        "verification",
        "GET",
        "/v1/verification/queue",
        statuses(403, (VERIFIERS, 200)),
        lambda world: Call("/v1/verification/queue"),
        "the caller's own worklist",
    ),
    Row(
        "verification",
        "GET",
        "/v1/reports/map",
        statuses(403, (["lurah", "camat", "pemkot", "admin"], 200)),
        lambda world: Call("/v1/reports/map", params={"kelurahan": KELURAHAN}),
        "the report's kelurahan (`?kelurahan=`; an area outside one's own is 403)",
    ),
    Row(
        "verification",
        "GET",
        "/v1/verification/decisions",
        statuses(403, (VERIFIERS, 200)),
        lambda world: Call("/v1/verification/decisions"),
        "the caller's own decisions",
    ),
    Row(
        "verification",
        "POST",
        "/v1/verification/rebuild",
        statuses(403, (["admin"], 200)),
        lambda world: Call("/v1/verification/rebuild"),
    ),
    # analytics: figures of the report's kelurahan
    *(
        Row(
            "analytics",
            "GET",
            f"/v1/analytics/{figure}",
            statuses(403, (["lurah", "camat", "pemkot", "admin"], 200)),
            lambda world, figure=figure: Call(f"/v1/analytics/{figure}", params=AREA),
            f"kelurahan {KELURAHAN}",
        )
        for figure in FIGURES
    ),
    Row(
        "analytics",
        "GET",
        "/v1/analytics/areas",
        statuses(403, ([*VERIFIERS, "admin"], 200)),
        lambda world: Call("/v1/analytics/areas"),
        "the caller's own areas",
    ),
    Row(
        "analytics",
        "GET",
        "/v1/analytics/rebuild",
        statuses(403, (["admin"], 200)),
        lambda world: Call("/v1/analytics/rebuild"),
    ),
    Row(
        "analytics",
        "POST",
        "/v1/analytics/rebuild",
        statuses(403, (["admin"], 202)),
        lambda world: Call("/v1/analytics/rebuild"),
    ),
    # notification: inboxes belong to the caller's office, subscriptions to their owner
    Row(
        "notification",
        "GET",
        "/v1/notifications/rebuild",
        statuses(403, (["admin"], 200)),
        lambda world: Call("/v1/notifications/rebuild"),
    ),
    Row(
        "notification",
        "POST",
        "/v1/notifications/rebuild",
        statuses(403, (["admin"], 202)),
        lambda world: Call("/v1/notifications/rebuild"),
    ),
    Row(
        "notification",
        "GET",
        "/v1/notifications/inbox",
        statuses(200),
        lambda world: Call("/v1/notifications/inbox"),
        "the caller's own inbox",
    ),
    Row(
        "notification",
        "POST",
        "/v1/notifications/inbox/read",
        statuses(200),
        lambda world: Call("/v1/notifications/inbox/read"),
        "the caller's own inbox",
    ),
    Row(
        "notification",
        "POST",
        "/v1/notifications/inbox/{item_id}/read",
        statuses(404, (["lurah"], 204)),
        lambda world: Call(f"/v1/notifications/inbox/{world.inbox_item}/read"),
        "an item of the lurah's inbox",
        missing=lambda world: Call(f"/v1/notifications/inbox/{NO_ITEM}/read"),
    ),
    Row(
        "notification",
        "GET",
        "/v1/notifications/inbox/unread",
        statuses(200),
        lambda world: Call("/v1/notifications/inbox/unread"),
        "the caller's own inbox",
    ),
    Row(
        "notification",
        "GET",
        "/v1/notifications/stream",
        statuses(200),
        lambda world: Call("/v1/notifications/stream"),
        "the caller's own inbox",
    ),
    Row(
        "notification",
        "GET",
        "/v1/notifications/preferences",
        statuses(200),
        lambda world: Call("/v1/notifications/preferences"),
        "the caller's own office",
    ),
    Row(
        "notification",
        "PUT",
        "/v1/notifications/preferences",
        statuses(403, ([*RTS, *VERIFIERS], 200)),
        lambda world: Call("/v1/notifications/preferences", json={"language": "id"}),
        "the caller's own office",
    ),
    Row(
        "notification",
        "POST",
        "/v1/notifications/digests",
        statuses(403, (["admin"], 200)),
        lambda world: Call("/v1/notifications/digests", json={}),
    ),
    Row(
        "notification",
        "GET",
        "/v1/webhooks/subscriptions",
        statuses(403, (MANAGERS, 200)),
        lambda world: Call("/v1/webhooks/subscriptions"),
        "the caller's own subscriptions",
    ),
    Row(
        "notification",
        "POST",
        "/v1/webhooks/subscriptions",
        statuses(403, (MANAGERS, 201)),
        lambda world: Call("/v1/webhooks/subscriptions", json=NEW_SUBSCRIPTION),
        "a new subscription",
    ),
    Row(
        "notification",
        "GET",
        "/v1/webhooks/subscriptions/{subscription_id}",
        statuses(403, (SUBSCRIPTION_OWNERS, 200), (["integrator_other"], 404)),
        lambda world: Call(f"/v1/webhooks/subscriptions/{world.subscription_id}"),
        "the integrator's subscription",
        missing=lambda world: Call(f"/v1/webhooks/subscriptions/{NO_SUBSCRIPTION}"),
    ),
    Row(
        "notification",
        "DELETE",
        "/v1/webhooks/subscriptions/{subscription_id}",
        statuses(403, (SUBSCRIPTION_OWNERS, 204), (["integrator_other"], 404)),
        lambda world: Call(f"/v1/webhooks/subscriptions/{world.fresh_subscription()}"),
        "a fresh subscription of the integrator, one per cell",
        missing=lambda world: Call(f"/v1/webhooks/subscriptions/{NO_SUBSCRIPTION}"),
    ),
    Row(
        "notification",
        "POST",
        "/v1/webhooks/subscriptions/{subscription_id}/resume",
        statuses(403, (SUBSCRIPTION_OWNERS, 200), (["integrator_other"], 404)),
        lambda world: Call(f"/v1/webhooks/subscriptions/{world.subscription_id}/resume"),
        "the integrator's subscription",
        missing=lambda world: Call(f"/v1/webhooks/subscriptions/{NO_SUBSCRIPTION}/resume"),
    ),
    Row(
        "notification",
        "GET",
        "/v1/webhooks/subscriptions/{subscription_id}/deliveries",
        statuses(403, (SUBSCRIPTION_OWNERS, 200), (["integrator_other"], 404)),
        lambda world: Call(f"/v1/webhooks/subscriptions/{world.subscription_id}/deliveries"),
        "the integrator's subscription",
        missing=lambda world: Call(f"/v1/webhooks/subscriptions/{NO_SUBSCRIPTION}/deliveries"),
    ),
)


def _new_account(world: World) -> Call:
    """An integrator's account with a phone number no other cell uses (an admin's creation
    succeeds in every cell: directly and through the gateway)."""
    number = f"+62812{uuid4().int % 10**8:08d}"
    body = {"name": "Matrix Integrator", "phone": number, "role": "integrator"}
    return Call("/v1/accounts", json=body)


NO_ACCOUNT = "0190f0c4-7a4e-7c2e-8d6a-4b1f3e2d1c0d"
ROSTER = b"rt,nama,telepon\n16.73.02.1019/001,Matrix RT,0812-7000-0001\n"

# identity: a development token names no account of identity's, so the routes of one's own
# account answer 401 to every such caller (a signed-in account's token is tested in identity's
# own suite); creating accounts, importing a roster and ending posts is the admin's alone.
ROWS += (
    Row(
        "identity",
        "GET",
        "/v1/accounts/me",
        statuses(401),
        lambda world: Call("/v1/accounts/me"),
        "the caller's own account",
    ),
    Row(
        "identity",
        "POST",
        "/v1/auth/signout-all",
        statuses(401),
        lambda world: Call("/v1/auth/signout-all"),
        "the caller's own sessions",
    ),
    Row(
        "identity",
        "POST",
        "/v1/auth/password",
        statuses(401),
        lambda world: Call(
            "/v1/auth/password",
            json={"current_password": "lama-sekali-123", "new_password": "baru-sekali-456"},
        ),
        "the caller's own password",
    ),
    Row(
        "identity",
        "POST",
        "/v1/accounts",
        statuses(403, (["admin"], 201)),
        _new_account,
        "a new integrator account, one per cell",
    ),
    Row(
        "identity",
        "POST",
        "/v1/accounts/roster",
        statuses(403, (["admin"], 200)),
        lambda world: Call("/v1/accounts/roster", content=ROSTER),
        "a one-row roster, as a dry run (the default)",
    ),
    Row(
        "identity",
        "POST",
        "/v1/accounts/{account_id}/posts/end",
        statuses(403, (["admin"], 404)),
        lambda world: Call(f"/v1/accounts/{NO_ACCOUNT}/posts/end"),
        "an account that does not exist",
        missing=lambda world: Call(f"/v1/accounts/{NO_ACCOUNT}/posts/end"),
    ),
    Row(
        "identity",
        "POST",
        "/v1/accounts/{account_id}/posts",
        statuses(403, (["admin"], 404)),
        lambda world: Call(f"/v1/accounts/{NO_ACCOUNT}/posts", json={"role": "integrator"}),
        "an account that does not exist",
        missing=lambda world: Call(f"/v1/accounts/{NO_ACCOUNT}/posts", json={"role": "integrator"}),
    ),
)

# identity, help nearby: a lurah, camat or admin only (403 for every other role); past the role,
# the caller's own account must hold the post now (a reset is recorded under it), which a
# development token names none of: 401. Who may reset whom is proven with real accounts in
# identity's suite (test_resets_api.py) and end to end (tests/e2e/test_identity_resets.py).
HELPERS = ["lurah", "lurah_other", "lurah_kediri", "camat", "camat_other", "admin"]
ROWS += tuple(
    Row("identity", method, path, statuses(403, (HELPERS, 401)), call, acts_on)
    for method, path, call, acts_on in (
        (
            "POST",
            "/v1/accounts/{account_id}/reset",
            lambda world: Call(f"/v1/accounts/{NO_ACCOUNT}/reset"),
            "an account that does not exist",
        ),
        ("GET", "/v1/accounts", lambda world: Call("/v1/accounts"), "the accounts one helps"),
        (
            "GET",
            "/v1/accounts/resets",
            lambda world: Call("/v1/accounts/resets"),
            "the resets one did",
        ),
        (
            "GET",
            "/v1/accounts/{account_id}/resets",
            lambda world: Call(f"/v1/accounts/{NO_ACCOUNT}/resets"),
            "the resets of an account that does not exist",
        ),
    )
)

# Every service's operators' routes (runtime.setaside), asked of each service directly.
ROWS += tuple(
    row
    for service in ("intake", "verification", "analytics", "notification", "identity")
    for row in (
        Row(
            service,
            "GET",
            "/ops/set-aside",
            statuses(403, (["admin"], 200)),
            lambda world: Call("/ops/set-aside"),
            "the service's set-aside events",
        ),
        Row(
            service,
            "POST",
            "/ops/set-aside/retry",
            statuses(403, (["admin"], 200)),
            lambda world: Call("/ops/set-aside/retry"),
            "the service's set-aside events",
        ),
    )
)

# Operations anyone may call without a token, per service, as in its OpenAPI document.
HEALTH = {"GET /health/live", "GET /health/ready"}
OPEN311 = {
    f"{method} /open311/v2/{resource}.{{fmt}}"
    for method in ("GET", "HEAD")
    for resource in ("services", "requests", "requests/{service_request_id}")
}
PUBLIC: dict[str, set[str]] = {
    "intake": HEALTH
    | {
        "GET /v1/asyncapi.json",
        "GET /v1/config",  # what a compose screen needs: nothing secret
        "GET /v1/wilayah",
        "GET /v1/wilayah/{code}",
        "GET /v1/wilayah/{kelurahan_code}/rt",
    },
    "verification": HEALTH,
    "analytics": HEALTH | OPEN311 | {"GET /v1/public/activity"},
    "notification": HEALTH,
    # Signing in and out takes a phone number, a code or a refresh token, not a bearer token.
    "identity": HEALTH
    | {
        "POST /v1/auth/signin",
        "POST /v1/auth/activate",
        "POST /v1/auth/refresh",
        "POST /v1/auth/signout",
        "POST /v1/auth/first-admin",  # a one-time admin code made on the host
        "GET /.well-known/jwks.json",
        # Account ids whose post ended lately, for every service's start (docs/identity.md).
        "GET /v1/auth/ended-posts",
    },
}
# Public routes that are no operation of the OpenAPI documents: (service, path) probed too.
PUBLIC_UNDOCUMENTED = [
    (service, path)
    for service in ("intake", "verification", "analytics", "notification", "identity")
    for path in ("/metrics", "/openapi.json", "/docs", "/redoc")
] + [("analytics", "/dashboard"), ("analytics", "/public")]


def rows_of(service: str) -> dict[str, Row]:
    return {row.operation: row for row in ROWS if row.service == service}


# ------------------------------------------------------------------ the document

BEGIN = "<!-- matrix:begin (generated by tests/security/matrix.py) -->"
END = "<!-- matrix:end -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def markdown() -> str:
    """The matrix as Markdown: one line per operation, one column per caller."""
    head = ["service", "operation", "acts on", *(f"`{name}`" for name in EVERYONE)]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in ROWS:
        cells = [row.service, f"`{row.operation}`", row.object]
        cells += [str(row.expect[name]) for name in EVERYONE]
        lines.append("| " + " | ".join(cells) + " |")
    legend = [f"- `{c.name}`: {c.role} {c.wilayah or '(no wilayah)'}, {c.about}" for c in CALLERS]
    routes = sum(1 if row.service == "intake" else 2 for row in ROWS)
    summary = (
        f"{len(ROWS)} operations x {len(CALLERS)} callers, each operation of verification, "
        f"analytics and notification on the service's own port and through the gateway: "
        f"{routes * len(CALLERS)} requests. The report is RT {RT}'s."
    )
    return "\n".join([BEGIN, "", summary, "", *legend, "", *lines, "", END])


def document_with_matrix(text: str) -> str:
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    return before + markdown() + after


if __name__ == "__main__":
    DOC.write_text(document_with_matrix(DOC.read_text()))
    print(f"wrote {DOC}")
