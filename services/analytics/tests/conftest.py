"""Puts `analytics_support` (generated events, the independent computation) on the import path:
pytest's importlib mode does not add test directories."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
