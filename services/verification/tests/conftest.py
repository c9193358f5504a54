"""Puts `verification_support` (report streams driven through the domain, the deciders) on the
import path: pytest's importlib mode does not add test directories."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
