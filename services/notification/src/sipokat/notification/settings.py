"""The notification service's own settings (env prefix SIPOKAT_, like every service)."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from sipokat.runtime.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    # Email is off until an SMTP server is configured and switched on.
    smtp_enabled: bool = False
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "Sipokat <noreply@sipokat.id>"
    smtp_timeout_seconds: float = 10.0

    # Webhook targets on loopback, private, link-local, ... addresses are refused unless this is
    # on (development and tests, whose receivers run on 127.0.0.1).
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = 10.0
    delivery_max_attempts: int = 10
    # A subscription whose deliveries fail this many times in a row is paused.
    webhook_pause_after_failures: int = 5

    # Retry delays: base * 2^(attempt-1), capped, with full jitter.
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 600.0
    delivery_poll_seconds: float = 1.0
    delivery_batch: int = 200
    # A delivery claimed by a worker that died is tried again after this lease.
    delivery_lease_seconds: float = 60.0

    # Email and webhooks are not sent for events older than this: replaying an old log into an
    # empty ledger must not mail out history. The inbox still shows them.
    delivery_max_age_hours: float = 24.0

    # The daily digest goes out at this hour, Western Indonesian Time (Asia/Jakarta).
    digest_hour_wib: int = 7
    digest_enabled: bool = True
