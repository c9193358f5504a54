"""Analytics' pure arithmetic: shares of a whole, as the 2021 evaluation reported them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def with_shares(
    counts: Iterable[Mapping[str, Any]], field: str = "reports"
) -> list[dict[str, Any]]:
    """Each row with `share`: its count over the sum of all rows, in percent (one decimal)."""
    rows = [dict(row) for row in counts]
    total = sum(row[field] for row in rows)
    for row in rows:
        row["share_percent"] = round(100 * row[field] / total, 1) if total else 0.0
    return sorted(rows, key=lambda row: row[field], reverse=True)
