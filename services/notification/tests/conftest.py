"""Fixtures: the notification app on a real SQLite store and a test topology on the real
broker, webhook receivers over real HTTP, a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from sipokat.notification.testing import receiver, service, settings, smtp

__all__ = ["receiver", "service", "settings", "smtp"]
