"""Idempotency-Key (draft-ietf-httpapi-idempotency-key-header), kept in intake's own database.

A phone on a bad network sends a report, loses the answer, and sends it again with the same key:
it must get the first answer, not a second report. Keys are scoped per principal (the token's
subject, role and wilayah together: two tokens sharing a subject are two clients) and kept for a
configured time; they survive a restart because they live in the service's views store, beside
everything else intake keeps.

One document per (principal, key): the request's fingerprint, whether it is still in flight, and
once done, the response to replay. Claiming a key is one `apply_once` transaction that reads and
writes the document, so two concurrent requests with one key cannot both proceed. Only
successful answers are kept: a refused request releases its key, since running it again gives the
same refusal or, once the client fixed what was wrong, the answer it wanted.

A claim also holds the ids its request will use (`ClaimedIds`), made at the first claim and kept
when a retry takes over a claim whose process died: if that process had stored the report before
dying, the retry stores the same event again — a no-op — and answers with the same report id,
instead of making a second report.

Records written before keys named the whole principal are keyed by (subject, key) alone
(`legacy_key`). For one TTL after the upgrade such a record is still honoured, but only for the
principal that made the report it names (`Owns`, from intake's event store): a retry across the
upgrade gets its first answer, and another principal with the same subject never does. Once every
deployment has run one TTL with this version, the legacy lookup finds nothing and can go.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import UUID

from sipokat.events.envelope import Actor, new_event_id
from sipokat.events.store import Document, ViewStore, ViewTransaction, apply_once_returning

KEYS = "intake_idempotency"
# The draft makes the header a structured-field string ("..."); a bare token is taken too.
_KEY = re.compile(r'^"?([\x21\x23-\x7e]{1,255})"?$')


class InvalidKey(ValueError):
    pass


def parse_key(header: str) -> str:
    match = _KEY.match(header.strip())
    if not match:
        raise InvalidKey("Idempotency-Key must be 1 to 255 printable ASCII characters")
    return match[1]


def fingerprint(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


class Decision(Enum):
    PROCEED = "proceed"  # first time, or the earlier claim expired or was abandoned
    REPLAY = "replay"
    MISMATCH = "mismatch"  # the key was used for another request: 422
    IN_FLIGHT = "in_flight"  # the first request has not finished: 409


def decide(doc: Document | None, request_fingerprint: str, now: float) -> Decision:
    if doc is None or doc["expires_at"] <= now:
        return Decision.PROCEED
    if doc["fingerprint"] != request_fingerprint:
        return Decision.MISMATCH
    if doc["state"] == "done":
        return Decision.REPLAY
    if doc["lease_until"] <= now:  # its process died mid-request: let the retry run it
        return Decision.PROCEED
    return Decision.IN_FLIGHT


@dataclass(frozen=True)
class ClaimedIds:
    """The ids a claimed request writes with, the same for every retry that takes it over."""

    report_id: UUID
    event_id: UUID

    @classmethod
    def fresh(cls) -> ClaimedIds:
        return cls(report_id=new_event_id(), event_id=new_event_id())

    @classmethod
    def of(cls, doc: Document | None) -> ClaimedIds:
        """The ids of a lapsed claim of the same request, or new ones."""
        if doc is not None and doc["state"] == "in_flight" and "ids" in doc:
            return cls(UUID(doc["ids"]["report_id"]), UUID(doc["ids"]["event_id"]))
        return cls.fresh()

    def to_doc(self) -> dict[str, str]:
        return {"report_id": str(self.report_id), "event_id": str(self.event_id)}


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Claim:
    """What a claim decided: PROCEED writing with `ids`, REPLAY `response`, or a refusal."""

    decision: Decision
    response: StoredResponse | None = None
    ids: ClaimedIds | None = None


class _Decided(Exception):
    """Aborts the claim's transaction: nothing is written when the request may not proceed."""

    def __init__(self, decision: Decision, doc: Document) -> None:
        self.decision = decision
        self.doc = doc


# Whether the principal made (submitted or revised) the report: for records of the old keying.
Owns = Callable[[Actor, UUID], Awaitable[bool]]


def _principal(actor: Actor) -> dict[str, str | None]:
    return {"subject": actor.subject, "role": str(actor.role), "wilayah": actor.wilayah}


def doc_key(actor: Actor, key: str) -> str:
    return fingerprint("principal", actor.subject, str(actor.role), actor.wilayah or "", key)


def legacy_key(subject: str, key: str) -> str:
    """The key of a record made before keys named the whole principal."""
    return fingerprint(subject, key)


def _report_named(doc: Document) -> UUID | None:
    """The report a record's request made or revised: its answer's, or its claimed ids'."""
    try:
        if doc["state"] == "done":
            return UUID(json.loads(doc["response"]["body"])["report_id"])
        return UUID(doc["ids"]["report_id"])
    except (KeyError, TypeError, ValueError):
        return None


class IdempotencyKeys:
    def __init__(
        self,
        views: ViewStore,
        *,
        ttl_seconds: float,
        lease_seconds: float,
        owns: Owns | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.views = views
        self.ttl = ttl_seconds
        self.lease = lease_seconds
        self.owns = owns
        self.clock = clock

    async def _legacy(self, actor: Actor, key: str, now: float) -> Document | None:
        """A live record of the old keying whose report this principal made, else None."""
        if self.owns is None:
            return None
        doc = await self.views.get(KEYS, legacy_key(actor.subject, key))
        if doc is None or doc["expires_at"] <= now:
            return None
        report_id = _report_named(doc)
        if report_id is None or not await self.owns(actor, report_id):
            return None
        return doc

    async def claim(self, actor: Actor, key: str, request_fingerprint: str) -> Claim:
        own_key = doc_key(actor, key)
        principal = _principal(actor)
        now = self.clock()
        legacy = await self._legacy(actor, key, now)

        async def effect(tx: ViewTransaction) -> ClaimedIds:
            doc = await tx.get(KEYS, own_key) or legacy
            if doc is not None and doc.get("principal", principal) != principal:
                doc = None  # another principal's record (a hash collision): never theirs to see
            decision = decide(doc, request_fingerprint, now)
            if decision is not Decision.PROCEED:
                assert doc is not None
                raise _Decided(decision, doc)
            same_request = doc is not None and doc["expires_at"] > now
            ids = ClaimedIds.of(doc if same_request else None)
            await tx.put(
                KEYS,
                own_key,
                {
                    "state": "in_flight",
                    "principal": principal,
                    "fingerprint": request_fingerprint,
                    "lease_until": now + self.lease,
                    "expires_at": now + self.ttl,
                    "ids": ids.to_doc(),
                },
            )
            return ids

        try:
            # The ids of the run that committed: an aborted run may have made others.
            ids = await apply_once_returning(self.views, new_event_id(), effect)
        except _Decided as decided:
            response = decided.doc.get("response")
            return Claim(decided.decision, StoredResponse(**response) if response else None)
        assert ids is not None  # a new operation id: its effect runs and commits
        return Claim(Decision.PROCEED, ids=ids)

    async def complete(
        self, actor: Actor, key: str, request_fingerprint: str, response: StoredResponse
    ) -> None:
        now = self.clock()
        doc: dict[str, Any] = {
            "state": "done",
            "principal": _principal(actor),
            "fingerprint": request_fingerprint,
            "lease_until": now,
            "expires_at": now + self.ttl,
            "response": {
                "status": response.status,
                "body": response.body,
                "headers": response.headers,
            },
        }

        async def effect(tx: ViewTransaction) -> None:
            await tx.put(KEYS, doc_key(actor, key), doc)

        await self.views.apply_once(new_event_id(), effect)

    async def release(self, actor: Actor, key: str) -> None:
        async def effect(tx: ViewTransaction) -> None:
            await tx.delete(KEYS, doc_key(actor, key))

        await self.views.apply_once(new_event_id(), effect)
