"""What identity keeps (collections of its own views store) and every read of it.

Documents hold datetimes as ISO text (the same on every backend) and never a secret in the
clear: passwords and activation codes as Argon2id hashes, refresh tokens as SHA-256 hashes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sipokat.events.envelope import Role
from sipokat.events.store.base import Document, ViewStore
from sipokat.identity.domain import Family, Post, Throttle

ACCOUNTS = "accounts"  # by account id
PHONES = "phones"  # E.164 number -> {"account": id}: one account per number
FAMILIES = "sessions"  # refresh-token families, by id (the access tokens' `sid`)
REFRESH_TOKENS = "refresh_tokens"  # SHA-256 of a refresh token -> {"family", "account"}
THROTTLES = "throttles"  # "phone:+62…" / "address:10.0.0.1" -> failed attempts
SIGNING_KEYS = "signing_keys"  # by kid
RESETS = "resets"  # by reset id (UUIDv7: key order is time order): who reset whom, when
# Post events (handlers.post_events): kept with the change, until appended to the event store.
POST_EVENTS = "post_events"  # "<account id>/<stream version>" -> {"account", "event": JSON}
POST_STREAMS = "post_streams"  # account id -> {"version": the last post event's}
ENDED_POSTS = "ended_posts"  # "2026-12-07T09" (UTC hour) -> {"posts": {account id: ended}}
# How far back `GET /v1/auth/ended-posts` answers: past any access token's lifetime (≤ 60 min).
ENDED_POSTS_KEPT = timedelta(hours=24)

# What `/v1/accounts/me` and the admin's answers show of an account: never a hash.
PUBLIC_FIELDS = ("id", "name", "phone", "email", "post", "activated", "past_posts")


def when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def post_document(post: Post) -> Document:
    return {
        "role": str(post.role),
        "wilayah": post.wilayah,
        "start": iso(post.start),
        "end": iso(post.end),
    }


def account_document(
    account_id: str,
    *,
    name: str,
    phone: str,
    email: str | None,
    post: Post,
    now: datetime,
    password_hash: str | None = None,
    activation_hash: str | None = None,
    activation_expires: datetime | None = None,
) -> Document:
    """A new account holding `post`: with a pending activation code (an admin's account, the
    roster's) or a password already (the first admin's claim)."""
    account: Document = {
        "id": account_id,
        "name": name,
        "phone": phone,
        "email": email,
        "post": post_document(post),
        "past_posts": [],
        "created": iso(now),
        "password_hash": password_hash,
        "activation_hash": activation_hash,
        "activation_expires": iso(activation_expires),
    }
    if password_hash is not None:
        account["password_changed"] = iso(now)
    return account


def post_of(doc: Document | None) -> Post | None:
    if not doc:
        return None
    start = when(doc["start"])
    assert start is not None
    return Post(Role(doc["role"]), doc.get("wilayah"), start, when(doc.get("end")))


def current_post(account: Document, now: datetime) -> Post | None:
    post = post_of(account.get("post"))
    return post if post is not None and post.held_at(now) else None


def public_account(account: Document) -> Document:
    shown = {name: account.get(name) for name in PUBLIC_FIELDS}
    shown["activated"] = account.get("password_hash") is not None
    return shown


def family_document(family: Family) -> Document:
    return {
        "id": str(family.id),
        "account": str(family.account),
        "current": family.current,
        "created": iso(family.created),
        "expires": iso(family.expires),
        "revoked": family.revoked,
    }


def family_of(doc: Document) -> Family:
    created, expires = when(doc["created"]), when(doc["expires"])
    assert created is not None and expires is not None
    return Family(
        UUID(doc["id"]), UUID(doc["account"]), doc["current"], created, expires, doc["revoked"]
    )


def refresh_token_document(token_hash: str, family: str, account: str) -> Document:
    # The hash is the key; kept in the document too, so the sweep can delete what it finds.
    return {"token": token_hash, "family": family, "account": account}


def throttle_document(throttle: Throttle) -> Document:
    return {
        "failures": throttle.failures,
        "last_failure": iso(throttle.last_failure),
        "wait_until": iso(throttle.wait_until),
    }


def throttle_of(doc: Document | None) -> Throttle:
    if doc is None:
        return Throttle()
    return Throttle(doc["failures"], when(doc.get("last_failure")), when(doc.get("wait_until")))


async def account(views: ViewStore, account_id: str) -> Document | None:
    return await views.get(ACCOUNTS, account_id)


async def account_by_phone(views: ViewStore, phone: str) -> Document | None:
    entry = await views.get(PHONES, phone)
    return await views.get(ACCOUNTS, entry["account"]) if entry else None


async def throttle(views: ViewStore, key: str) -> Throttle:
    return throttle_of(await views.get(THROTTLES, key))


async def live_families(views: ViewStore, account_id: str, limit: int = 100) -> list[Family]:
    docs = await views.find(FAMILIES, {"account": account_id, "revoked": False}, limit=limit)
    return [family_of(doc) for doc in docs]


def ended_posts_bucket(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


async def ended_posts_since(views: ViewStore, since: datetime, now: datetime) -> dict[str, str]:
    """Account id -> when its post ended (ISO), for posts that ended at `since` or later (at
    most `ENDED_POSTS_KEPT` back): one read per hour."""
    since = max(since, now - ENDED_POSTS_KEPT)
    found: dict[str, str] = {}
    hour = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while hour <= now:
        doc = await views.get(ENDED_POSTS, ended_posts_bucket(hour))
        for account_id, ended in (doc or {}).get("posts", {}).items():
            moment = when(ended)
            if moment is not None and moment >= since:
                found[account_id] = ended
        hour += timedelta(hours=1)
    return found


async def signing_keys(views: ViewStore) -> list[Document]:
    # A handful at most: the signing key and the ones still published.
    return await views.find(SIGNING_KEYS, limit=1000)
