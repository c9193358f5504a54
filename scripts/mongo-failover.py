"""Prove the MongoDB event store through primary failovers: `make mongo-failover` runs this.

    python3 -m uv run python scripts/mongo-failover.py --help

The proof lives in tests/mongo_failover/ (beside its tests); see docs/operations.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mongo_failover.cli import main

if __name__ == "__main__":
    sys.exit(main())
