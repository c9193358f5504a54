from __future__ import annotations

from pydantic import Field

from sipokat.runtime.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    # PRODAMAS: Rp 50 million per RT per year (Prodamas Plus goes up to Rp 100 million).
    fund_allocation_per_rt_year: int = Field(default=50_000_000, ge=0)
