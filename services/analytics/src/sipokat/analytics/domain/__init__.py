"""Analytics' pure rules, one module each (no I/O):

- `counters`: the fold, what each report event changes in the counters;
- `areas`: which area a query is about, which areas a leader may see, the period asked for;
- `figures`: the figures leaders read, computed from summed counters;
- `open311`: verified reports as Open311 service requests, and GET requests' criteria.

The fold is re-exported here, as most of the service reads it.
"""

from sipokat.analytics.domain.counters import (
    DECISION_BUCKETS_HOURS,
    LEVELS,
    NOW,
    WIB,
    Delta,
    Outcome,
    Programme,
    ProgressReport,
    ReportFacts,
    area_labels,
    day_month,
    decision_bucket,
    fold,
    is_report_event,
    month_of,
    new_facts,
    programme_key,
    verified_programme,
    wilayah_of,
)

__all__ = [
    "DECISION_BUCKETS_HOURS",
    "LEVELS",
    "NOW",
    "WIB",
    "Delta",
    "Outcome",
    "Programme",
    "ProgressReport",
    "ReportFacts",
    "area_labels",
    "day_month",
    "decision_bucket",
    "fold",
    "is_report_event",
    "month_of",
    "new_facts",
    "programme_key",
    "verified_programme",
    "wilayah_of",
]
