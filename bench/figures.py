"""One row of the benchmark table: a figure beside its baseline, measured in the same run."""

from __future__ import annotations

import contextlib
import json
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Figure:
    """`value` of what is measured beside `baseline`; `target` is the ratio (or the value, with
    `target_is_value`) that DESIGN §9 / issue 8 asks for, `higher_is_better` says which way."""

    name: str
    unit: str
    value: float
    baseline: float | None = None
    baseline_name: str = ""
    target: float | None = None
    target_is_value: bool = False
    higher_is_better: bool = True
    notes: str = ""
    extra: dict[str, float | str] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        measured = self.value if self.target_is_value else self.ratio
        if measured is None:
            return None
        return measured >= self.target if self.higher_is_better else measured <= self.target


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def table(figures: list[Figure]) -> str:
    """A Markdown table, so the same text goes to the terminal and to docs/performance.md."""
    lines = [
        "| figure | value | baseline (same run) | ratio | target | met |",
        "| --- | ---: | --- | ---: | --- | :---: |",
    ]
    for f in figures:
        baseline = f"{_number(f.baseline)} {f.unit} ({f.baseline_name})" if f.baseline else ""
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else ""
        if f.target is None:
            target = ""
        else:
            sign = "≥" if f.higher_is_better else "≤"
            target = f"{sign} {_number(f.target)}" + (f" {f.unit}" if f.target_is_value else "x")
        met = {True: "yes", False: "**no**", None: ""}[f.met]
        value = f"{_number(f.value)} {f.unit}"
        if f.notes:
            value += f" ({f.notes})"
        lines.append(f"| {f.name} | {value} | {baseline} | {ratio} | {target} | {met} |")
    return "\n".join(lines)


def details(figures: list[Figure]) -> str:
    """The figures' extra measurements (CPU per request, the load generator's share, ...)."""
    lines = []
    for f in figures:
        if f.extra:
            values = ", ".join(
                f"{k.replace('_', ' ')} {_number(v) if isinstance(v, float | int) else v}"
                for k, v in f.extra.items()
            )
            lines.append(f"- {f.name}: {values}")
    return "\n".join(lines)


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    rabbitmq = subprocess.run(
        ["rabbitmqctl", "version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{psutil.cpu_count()} x {cpu}",
        "memory": f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
        "python": platform.python_version(),
        "rabbitmq": rabbitmq or "unknown",
    }


def save(figures: list[Figure], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "machine": machine(),
        "figures": [{**asdict(f), "ratio": f.ratio, "met": f.met} for f in figures],
    }
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def print_figures(figures: list[Figure]) -> None:
    """A benchmark's own command line: its table, then each figure's extras (run.py keeps them in
    the JSON only)."""
    print(table(figures))
    for figure in figures:
        for name, value in figure.extra.items():
            print(f"  {figure.name}: {name} {value}")
