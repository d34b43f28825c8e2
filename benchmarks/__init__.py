"""Benchmarks by name: each maps to a task family and a loader of Items."""

from cope.benchmarks.registry import BENCHMARKS, benchmark_family, data_dir, load_benchmark

__all__ = ["BENCHMARKS", "benchmark_family", "data_dir", "load_benchmark"]
