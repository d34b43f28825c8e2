"""Measure what the sandbox costs per program, in each mode this machine offers.

Usage: .venv/bin/python scripts/bench_sandbox.py [--runs 30] [--out results/bench_sandbox.json]

For every mode it times N sequential runs of a trivial program (start to result: process,
namespaces, launcher, limits) next to a bare ``python -I -S`` run of it for reference, then the
throughput of ``run_many`` on 4*N trivial programs with one worker per core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cope import sandbox, sandbox_jail
from cope.sandbox import run_many, run_program

TRIVIAL = "def f(x):\n    return x + 1\n\nassert f(1) == 2\n"


def _summary(seconds: list[float]) -> dict[str, float]:
    """Mean, median, p90, min and max in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return {
        "mean_ms": round(statistics.fmean(ms), 1),
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "min_ms": round(ms[0], 1),
        "max_ms": round(ms[-1], 1),
    }


def bare_python(runs: int) -> dict[str, float]:
    """Start-up of the same interpreter with no sandbox at all, for comparison."""
    exe, _ = sandbox_jail.interpreter()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([exe, "-I", "-S", "-c", TRIVIAL], check=True)
        times.append(time.perf_counter() - start)
    return _summary(times)


def bench_mode(mode: str, runs: int, workers: int) -> dict:
    """Sequential latency and parallel throughput of trivial programs in ``mode``."""
    run_program(TRIVIAL, timeout=10, mode=mode)  # warm the page cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = run_program(TRIVIAL, timeout=10, mode=mode)
        times.append(time.perf_counter() - start)
        if not result.passed:
            raise SystemExit(f"{mode}: trivial program did not pass: {result.stderr}")
    batch = 4 * runs
    start = time.perf_counter()
    results = run_many([TRIVIAL] * batch, timeout=10, workers=workers, mode=mode)
    wall = time.perf_counter() - start
    return {
        "sequential": {"runs": runs, **_summary(times)},
        "run_many": {
            "programs": batch,
            "workers": workers,
            "all_passed": all(r.passed for r in results),
            "wall_s": round(wall, 2),
            "programs_per_s": round(batch / wall, 1),
        },
    }


def main() -> None:
    """Benchmark every available mode, write the JSON report, print the headline figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path("results/bench_sandbox.json"))
    args = parser.parse_args()

    problem = sandbox._bwrap_problem()
    modes = ["bwrap", "rlimit"] if problem is None else ["rlimit"]
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "kernel": platform.release(), "euid": os.geteuid()},
        "default_mode": sandbox.sandbox_mode(),
        "bwrap_unavailable_because": problem,
        "bare_python": {"runs": args.runs, **bare_python(args.runs)},
        "modes": {mode: bench_mode(mode, args.runs, args.workers) for mode in modes},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    bare = report["bare_python"]["median_ms"]
    print(f"bare python start-up: median {bare} ms")
    for mode, figures in report["modes"].items():
        seq, many = figures["sequential"], figures["run_many"]
        print(f"{mode:6s}: median {seq['median_ms']} ms per program "
              f"(p90 {seq['p90_ms']}, overhead vs bare ~{seq['median_ms'] - bare:.0f} ms); "
              f"run_many {many['programs_per_s']} programs/s with {many['workers']} workers")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
