"""Fixtures: the notification app on a real SQLite store and a test topology on the real
broker, webhook receivers over real HTTP, a real SMTP server (aiosmtpd). Puts
`notification_support` on the import path: pytest's importlib mode does not add test
directories."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from notification_support import receiver, service, settings, smtp

__all__ = ["receiver", "service", "settings", "smtp"]
