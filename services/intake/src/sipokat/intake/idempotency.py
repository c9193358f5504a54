"""Idempotency-Key (draft-ietf-httpapi-idempotency-key-header), kept in intake's own database.

A phone on a bad network sends a report, loses the answer, and sends it again with the same key:
it must get the first answer, not a second report. Keys are scoped per client (the token's
subject) and kept for a configured time; they survive a restart because they live in the
service's views store, beside everything else intake keeps.

One document per (subject, key): the request's fingerprint, whether it is still in flight, and
once done, the response to replay. Claiming a key is one `apply_once` transaction that reads and
writes the document, so two concurrent requests with one key cannot both proceed. Only
successful answers are kept: a refused request releases its key, since running it again gives the
same refusal or, once the client fixed what was wrong, the answer it wanted.

A claim also holds the ids its request will use (`ClaimedIds`), made at the first claim and kept
when a retry takes over a claim whose process died: if that process had stored the report before
dying, the retry stores the same event again — a no-op — and answers with the same report id,
instead of making a second report.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import UUID

from sipokat.events.envelope import new_event_id
from sipokat.events.store import Document, ViewStore, ViewTransaction

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


class IdempotencyKeys:
    def __init__(
        self,
        views: ViewStore,
        *,
        ttl_seconds: float,
        lease_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.views = views
        self.ttl = ttl_seconds
        self.lease = lease_seconds
        self.clock = clock

    @staticmethod
    def _doc_key(subject: str, key: str) -> str:
        return fingerprint(subject, key)

    async def claim(self, subject: str, key: str, request_fingerprint: str) -> Claim:
        doc_key = self._doc_key(subject, key)
        now = self.clock()
        claimed: list[ClaimedIds] = []

        async def effect(tx: ViewTransaction) -> None:
            doc = await tx.get(KEYS, doc_key)
            decision = decide(doc, request_fingerprint, now)
            if decision is not Decision.PROCEED:
                assert doc is not None
                raise _Decided(decision, doc)
            same_request = doc is not None and doc["expires_at"] > now
            ids = ClaimedIds.of(doc if same_request else None)
            claimed.append(ids)
            await tx.put(
                KEYS,
                doc_key,
                {
                    "state": "in_flight",
                    "fingerprint": request_fingerprint,
                    "lease_until": now + self.lease,
                    "expires_at": now + self.ttl,
                    "ids": ids.to_doc(),
                },
            )

        try:
            await self.views.apply_once(new_event_id(), effect)
        except _Decided as decided:
            response = decided.doc.get("response")
            return Claim(decided.decision, StoredResponse(**response) if response else None)
        return Claim(Decision.PROCEED, ids=claimed[-1])

    async def complete(
        self, subject: str, key: str, request_fingerprint: str, response: StoredResponse
    ) -> None:
        now = self.clock()
        doc: dict[str, Any] = {
            "state": "done",
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
            await tx.put(KEYS, self._doc_key(subject, key), doc)

        await self.views.apply_once(new_event_id(), effect)

    async def release(self, subject: str, key: str) -> None:
        async def effect(tx: ViewTransaction) -> None:
            await tx.delete(KEYS, self._doc_key(subject, key))

        await self.views.apply_once(new_event_id(), effect)
