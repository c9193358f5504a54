"""`sipokat demo`: a simulated city (RT heads submitting, verifiers deciding) against a running
platform. `mix` and `policy` are pure; `driver` talks HTTP; `console` draws the terminal."""

from sipokat.ops.demo.driver import run_demo
from sipokat.ops.demo.model import DemoConfig, DemoSummary, Tally
from sipokat.ops.demo.policy import DecisionPolicy

__all__ = ["DecisionPolicy", "DemoConfig", "DemoSummary", "Tally", "run_demo"]
