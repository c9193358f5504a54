"""CPU per report in each process: the four services and the RabbitMQ node, over a drained run.

    uv run --group bench python bench/cpu_per_report.py [--rate 100] [--seconds 30]

Offers `--rate` reports/s for `--seconds` through intake (the generator of bench/load.py, every
RT with its own token), waits until intake's relay and every consumer have nothing left, and
divides each process's CPU time (user + system, psutil) by the reports accepted. At a rate the
platform sustains this is what one report costs end to end, and where: the sum over the
processes, against the cores of the machine, bounds the rate two cores can carry.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import psutil
from end_to_end import wait_drained
from load import offer, senders
from processes import SERVICES, Platform, clean_up_on_sigterm


def rabbitmq_node() -> psutil.Process | None:
    """The local broker's Erlang VM, when it runs on this machine."""
    for process in psutil.process_iter(["name"]):
        if process.info["name"] == "beam.smp":
            return process
    return None


def cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def measure(rate: float, seconds: float, drain_timeout: float = 180) -> dict[str, float]:
    """Milliseconds of CPU per accepted report, by process name."""
    platform = Platform()
    try:
        platform.start()
        processes = {s: platform.process(s) for s in SERVICES}
        if (node := rabbitmq_node()) is not None:
            processes["rabbitmq"] = node
        before = {name: cpu(p) for name, p in processes.items()}
        url = f"{platform.url('intake')}/v1/reports"
        result = asyncio.run(offer(url, rate, seconds, senders()))
        if not wait_drained(platform, time.monotonic() + drain_timeout):
            raise TimeoutError(f"not drained {drain_timeout:.0f} s after the offer")
        accepted = max(len(result.accepted), 1)
        return {name: 1000 * (cpu(p) - before[name]) / accepted for name, p in processes.items()}
    finally:
        platform.close()


def main() -> None:
    clean_up_on_sigterm()
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    costs = measure(args.rate, args.seconds)
    print(f"CPU per report at {args.rate:,.0f}/s for {args.seconds:.0f} s, drained:\n")
    print("| process | ms of CPU per report |")
    print("| --- | ---: |")
    for name, ms in costs.items():
        print(f"| {name} | {ms:.2f} |")
    print(f"| all | {sum(costs.values()):.2f} |")


if __name__ == "__main__":
    main()
