"""What the benchmarks share besides their scratch database: the machine they ran on and the
percentiles they report."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of values at or below."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def python_speed() -> float:
    """Seconds this Python takes for a fixed pure-Python loop (5 million additions), the best
    of three: the same VM type can be twice as slow one day as another (shared hosts), and
    figures from different runs compare only beside this."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        total = 0
        for n in range(5_000_000):
            total += n
        best = min(best, time.perf_counter() - began)
    return round(best, 3)


def machine() -> dict[str, Any]:
    """The CPU model and count, Python and the system, the load average right now, and how
    fast Python runs here right now (python_speed)."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average": load_average(),
        "python_loop_seconds": python_speed(),
    }
