"""Setting aside: a reader that cannot apply one event keeps it, with why, and goes on.

Every reader of a service (a view catch-up, a rebuild, the live consumer) folds events into a
read model. One event it cannot apply (a value the store cannot hold, a body that no longer
parses, a fold that trips over it) must not stop the read model for every other report: the
reader hands it to `SetAside.keep`, which stores it in the service's view store with the
reader's name, the reason (exception type and message) and the time, and the reader goes on.
The set-aside events are listed and counted (readiness, metrics, `sipokat status`) and can be
retried once the cause is fixed: `SetAside.retry` hands each to the `Retry` of its reader,
which re-applies it, and drops it from the list when that works.

Faults of the store itself (it is down, a connection was lost) are not the event's: readers let
them through, so the work is tried again later rather than set aside (`is_event_fault`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import structlog

from sipokat.events.envelope import Envelope
from sipokat.events.store.base import SetAsideEvent, StoreUnavailable, ViewStore

log = structlog.get_logger(__name__)

# Re-applies one set-aside event; raises when it still cannot be applied.
Retry = Callable[[SetAsideEvent], Awaitable[None]]

_REASON_CHARS = 2000


def reason_of(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:_REASON_CHARS]


def is_event_fault(exc: BaseException) -> bool:
    """False for what says nothing about the event: the store or the network failing."""
    return isinstance(exc, Exception) and not isinstance(
        exc, StoreUnavailable | ConnectionError | TimeoutError
    )


def event_key(body: bytes) -> str:
    """The event id a body names; for a body that names none, a digest of it."""
    try:
        found = orjson.loads(body)
        if isinstance(found, dict) and isinstance(found.get("event_id"), str):
            return str(found["event_id"])[:100]
    except orjson.JSONDecodeError:
        pass
    return "sha256:" + hashlib.sha256(body).hexdigest()


def stream_of(body: bytes) -> str:
    try:
        found = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    stream = found.get("stream_id") if isinstance(found, dict) else None
    return stream[:200] if isinstance(stream, str) else ""


@dataclass
class RetryOutcome:
    applied: list[SetAsideEvent] = field(default_factory=list)
    still_set_aside: list[SetAsideEvent] = field(default_factory=list)


class SetAside:
    """A service's set-aside events, in its view store."""

    def __init__(self, views: ViewStore, on_set_aside: Callable[[str], None] | None = None) -> None:
        self.views = views
        self._on_set_aside = on_set_aside

    async def keep(
        self,
        reader: str,
        body: bytes,
        error: BaseException,
        *,
        routing_key: str = "",
        stream_id: str = "",
        key: str | None = None,
    ) -> SetAsideEvent:
        event = SetAsideEvent(
            reader=reader,
            key=key or event_key(body),
            body=body,
            reason=reason_of(error),
            set_aside_at=datetime.now(UTC),
            routing_key=routing_key,
            stream_id=stream_id or stream_of(body),
        )
        await self.views.set_aside(event)
        if self._on_set_aside is not None:
            self._on_set_aside(reader)
        log.error(
            "reader.set_aside",
            reader=reader,
            key=event.key,
            routing_key=routing_key,
            stream_id=event.stream_id,
            reason=event.reason[:500],
        )
        return event

    async def keep_envelope(
        self, reader: str, envelope: Envelope, error: BaseException
    ) -> SetAsideEvent:
        return await self.keep(
            reader,
            envelope.to_json(),
            error,
            routing_key=envelope.routing_key,
            stream_id=envelope.stream_id,
            key=str(envelope.event_id),
        )

    async def retry(
        self,
        retries: Mapping[str, Retry],
        *,
        reader: str | None = None,
        key: str | None = None,
        limit: int = 1000,
    ) -> RetryOutcome:
        """Re-apply set-aside events (of `reader`, or the one with `key`) through their
        readers: each that applies leaves the list; each that does not stays, with the new
        reason. Events of a reader this service does not run (any more) stay as they are."""
        outcome = RetryOutcome()
        for event in await self.views.set_aside_events(reader, limit=limit):
            if key is not None and event.key != key:
                continue
            retry = retries.get(event.reader)
            if retry is None:
                outcome.still_set_aside.append(event)
                continue
            try:
                await retry(event)
            except Exception as exc:
                if not is_event_fault(exc):
                    raise
                outcome.still_set_aside.append(
                    await self.keep(
                        event.reader,
                        event.body,
                        exc,
                        routing_key=event.routing_key,
                        stream_id=event.stream_id,
                        key=event.key,
                    )
                )
                continue
            await self.views.release(event.reader, event.key)
            outcome.applied.append(event)
            log.info("reader.retried", reader=event.reader, key=event.key)
        return outcome


def parsed(event: SetAsideEvent) -> Envelope:
    """The envelope of a set-aside event (raises, as it did, while it does not parse)."""
    return Envelope.from_json(event.body)
