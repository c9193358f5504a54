"""The throttling of failed sign-in attempts, per phone number and per address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal


@dataclass(frozen=True)
class ThrottleRule:
    """`free` failures in a row pass unhindered; each one after doubles a wait (from `delay`,
    at most `max_delay`) before the next attempt is heard; at `lock_after` failures the key is
    locked for `lock`. Failures older than `window` are forgotten."""

    free: int
    lock_after: int
    delay: timedelta
    max_delay: timedelta
    lock: timedelta
    window: timedelta


@dataclass(frozen=True)
class Throttle:
    """The failed attempts of one key (a phone number, known or not, or an address)."""

    failures: int = 0
    last_failure: datetime | None = None
    wait_until: datetime | None = None

    def retry_after(self, now: datetime) -> float | None:
        """Seconds until an attempt is heard again, or None when it is heard now."""
        if self.wait_until is None or now >= self.wait_until:
            return None
        return (self.wait_until - now).total_seconds()

    def current(self, rule: ThrottleRule, now: datetime) -> Throttle:
        if self.last_failure is not None and now - self.last_failure >= rule.window:
            return Throttle()
        return self

    def failed(self, rule: ThrottleRule, now: datetime) -> Throttle:
        failures = self.current(rule, now).failures + 1
        wait: timedelta | None = None
        if failures >= rule.lock_after:
            wait = rule.lock
        elif failures > rule.free:
            wait = min(rule.delay * 2 ** (failures - rule.free - 1), rule.max_delay)
        return Throttle(failures, now, now + wait if wait is not None else None)


def throttle_key(kind: Literal["phone", "address"], value: str) -> str:
    return f"{kind}:{value}"
