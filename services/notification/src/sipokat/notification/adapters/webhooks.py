"""Webhook delivery over HTTP: signed like Standard Webhooks, and never to a private address.

Headers sent with every delivery (documented for receivers in docs/notification.md):

- `webhook-id`: the delivery key; the same on every retry, so receivers can drop duplicates.
- `webhook-timestamp`: seconds since the epoch when this attempt was signed.
- `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<timestamp>.<body>">`, keyed
  with the base64-decoded part of the subscription's `whsec_...` secret.

This is the Standard Webhooks scheme, so receivers can verify with its libraries. The id is signed
with the timestamp and body so a captured delivery cannot be replayed under another id.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from sipokat.notification.settings import NotificationSettings
from sipokat.runtime.messages import Text


class UnsafeTarget(ValueError):
    """The URL is not one the service may call: bad scheme, no host, or a refused address.
    Said in English and Indonesian (the client that registers it is told why)."""

    def __init__(self, english: str, indonesian: str) -> None:
        super().__init__(english)
        self.text = Text(english, indonesian)


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }


def refused_reason(address: IpAddress) -> str | None:
    """Why an address is not a public unicast one (None when it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for reason, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("unspecified", address.is_unspecified),
    ):
        if flag:
            return reason
    if not address.is_global:
        return "not globally routable"
    return None


def check_url_shape(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL without credentials; else `UnsafeTarget`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("the URL must be http or https", "URL harus http atau https")
    if not parts.hostname:
        raise UnsafeTarget("the URL has no host", "URL tidak punya host")
    if parts.username or parts.password:
        raise UnsafeTarget(
            "credentials in the URL are not accepted; sign with the secret",
            "kredensial di URL tidak diterima; tanda tangani dengan secret",
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget(f"bad port: {exc}", "port tidak valid") from exc
    return parts.scheme, parts.hostname, port


async def resolve_safe(url: str, *, allow_private: bool) -> IpAddress:
    """Resolve the URL's host and return an address to connect to, refusing loopback, private,
    link-local, multicast and reserved ones unless `allow_private`. Every address the name
    resolves to is checked: one private answer among public ones refuses the whole name."""
    _, host, port = check_url_shape(url)
    try:
        literal: IpAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise UnsafeTarget(
                f"cannot resolve {host}: {exc}", f"{host} tidak dapat di-resolve"
            ) from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not addresses:
            raise UnsafeTarget(
                f"{host} resolves to no address", f"{host} tidak mengarah ke alamat apa pun"
            )
    if not allow_private:
        for address in addresses:
            reason = refused_reason(address)
            if reason is not None:
                raise UnsafeTarget(
                    f"{host} resolves to {address}, a {reason} address",
                    f"{host} mengarah ke {address}, alamat {reason} yang tidak boleh dituju",
                )
    return addresses[0]


def http_client(settings: NotificationSettings) -> httpx.AsyncClient:
    """The client deliveries are posted with. Redirects are not followed: a receiver could
    otherwise send the request somewhere the address check never saw."""
    return httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None


async def post_signed(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
) -> Outcome:
    """POST to the address checked just now, not to a second lookup of the name: a DNS answer
    that changes between check and connect (rebinding) cannot steer the request inside."""
    try:
        address = await resolve_safe(url, allow_private=allow_private)
    except UnsafeTarget as exc:
        return Outcome(False, None, f"refused: {exc}")
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = literal + (f":{parts.port}" if parts.port else "")
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = host + (f":{parts.port}" if parts.port else "")
    try:
        answer = await client.post(
            pinned,
            content=body,
            headers={**headers, "host": host_header},
            extensions={"sni_hostname": host},  # TLS name check against the real host
        )
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= answer.status_code < 300:
        return Outcome(True, answer.status_code, None)
    return Outcome(False, answer.status_code, f"HTTP {answer.status_code}")
