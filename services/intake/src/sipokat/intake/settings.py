from __future__ import annotations

from sipokat.runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    # Where the gateway routes the rest of /v1.
    verification_url: str = "http://127.0.0.1:8001"
    analytics_url: str = "http://127.0.0.1:8002"
    notification_url: str = "http://127.0.0.1:8003"
    # How far back an activity may lie when it is reported.
    activity_window_days: int = 90
