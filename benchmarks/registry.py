"""The benchmark registry: name -> (task family, loader). One line per benchmark."""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path

from cope.errors import CopeError
from cope.tasks.base import Item

# name: (family, "module:function")
BENCHMARKS = {
    "gsm8k": ("math", "cope.benchmarks.math:load_gsm8k"),
    "math500": ("math", "cope.benchmarks.math:load_math500"),
    "aime24": ("math", "cope.benchmarks.math:load_aime24"),
    "mbpp": ("code", "cope.benchmarks.code:load_mbpp"),
    "humaneval": ("code", "cope.benchmarks.code:load_humaneval"),
    "alfworld": ("alfworld", "cope.benchmarks.alfworld:load_alfworld"),
}


def data_dir() -> Path:
    """The benchmark data folder: $COPE_DATA, else the repository's data/."""
    env = os.environ.get("COPE_DATA")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"


def _check(name: str) -> None:
    if name not in BENCHMARKS:
        raise CopeError(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}")


def benchmark_family(name: str) -> str:
    """The task family that solves benchmark ``name``."""
    _check(name)
    return BENCHMARKS[name][0]


def load_benchmark(name: str, limit: int | None = None) -> list[Item]:
    """The first ``limit`` items of benchmark ``name`` (all when ``limit`` is None)."""
    _check(name)
    if limit is not None and limit < 1:
        raise CopeError(f"--limit must be a positive number, not {limit}")
    module, func = BENCHMARKS[name][1].split(":")
    return getattr(import_module(module), func)(limit)
