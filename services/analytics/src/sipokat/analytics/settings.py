from __future__ import annotations

from pydantic import Field

from sipokat.runtime.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    # PRODAMAS: Rp 50 million per RT per year (Prodamas Plus goes up to Rp 100 million).
    fund_allocation_per_rt_year: int = Field(default=50_000_000, ge=0)
    # A replay of the event log ends once no event arrived for this long.
    rebuild_idle_seconds: float = Field(default=2.0, gt=0)
