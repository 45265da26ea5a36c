"""bench.throughput measures what it says: a command's own peak memory and CPU, and profile stages that exist."""
from __future__ import annotations

import importlib
import sys

from bench import throughput


def test_each_profiled_stage_names_a_function_that_exists():
    # A renamed function would silently profile as 0 s.
    for label, name, where in throughput.STAGES:
        module = importlib.import_module(where.removesuffix(".py").replace("/", "."))
        owners = [module] + [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == module.__name__]
        assert any(callable(getattr(o, name, None)) for o in owners), (label, name, where)


def test_timed_reports_the_commands_own_peak_memory_and_cpu():
    big = throughput.timed([sys.executable, "-c", "b = bytearray(300 * 2**20); sum(range(3_000_000))"])
    small = throughput.timed([sys.executable, "-c", "pass"])
    assert big.peak_mb >= 300 > small.peak_mb  # each command's own peak, not the largest child so far
    assert big.cpu > small.cpu and big.seconds >= big.cpu * 0.5
