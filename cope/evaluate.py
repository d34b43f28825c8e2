"""Benchmark evaluation: run the cascade over items, write one JSON line each and a summary."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cope.benchmarks import benchmark_family, load_benchmark
from cope.errors import CopeError
from cope.runner import Runner
from cope.tasks import get_family

log = logging.getLogger(__name__)


def item_record(item, result, correct: bool) -> dict[str, Any]:
    """The JSON line written for one item."""
    ledger = result.ledger
    return {
        "id": item.id,
        "prediction": result.answer,
        "gold": item.gold,
        "correct": correct,
        "stage": result.final_stage,
        "consensus": {s["stage"]: s["consensus"] for s in result.stages},
        "tokens_by_model": ledger["tokens_by_model"],
        "tokens_by_role": ledger["tokens_by_role"],
        "cost_usd": ledger["cost_usd"],
        "cost_plan_usd": ledger["cost_plan_usd"],
        "cost_answer_usd": ledger["cost_answer_usd"],
        "seconds": round(result.seconds, 2),
        "resumed": result.resumed,
        **({"task_type": item.meta["task_type"], "steps": len(result.trajectory),
            "steps_per_stage": result.steps_per_stage} if result.trajectory else {}),
    }


def agent_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """ALFWorld extras: success per task type, mean steps, lines decided at each stage."""
    games = [r for r in records if "steps" in r]
    if not games:
        return {}
    by_type: dict[str, list[bool]] = {}
    per_stage: Counter = Counter()
    for r in games:
        by_type.setdefault(r["task_type"], []).append(r["correct"])
        per_stage.update(r["steps_per_stage"])
    return {
        "success_by_task_type": {t: f"{sum(v)}/{len(v)}" for t, v in sorted(by_type.items())},
        "mean_steps": sum(r["steps"] for r in games) / len(games),
        "steps_decided_per_stage": dict(per_stage),
    }


def code_gate_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Code extras: how often the visible-test gate and the hidden tests disagreed.

    A program "passed the gate" when the stage that returned it had one passing the visible
    tests (consensus 1.0); the last stage returns its program even when none passed.
    """
    gated = [r for r in records if r["consensus"].get(r["stage"], 0.0) >= 1.0]
    return {
        "passed_visible_tests": len(gated),
        "passed_visible_failed_hidden": sum(not r["correct"] for r in gated),
        "returned_without_passing_visible": len(records) - len(gated),
    }


def summarize_run(records: list[dict[str, Any]], runner: Runner, benchmark: str,
                  wall: float) -> dict[str, Any]:
    """Accuracy, items per stage, large-model tokens and cost over ``records``."""
    n = len(records)
    per_stage = Counter(r["stage"] for r in records)
    large_in = large_out = 0
    for r in records:
        for key, t in r["tokens_by_role"].items():
            if key.startswith("large/"):
                large_in += t["input"]
                large_out += t["output"]
    cost = sum(r["cost_usd"] for r in records)
    return {
        "benchmark": benchmark,
        "cascade": runner.config.name,
        "models": {role: runner.context.model_name(role) for role in sorted(runner.config.roles())},
        "comparison": runner.config.comparison,
        "thresholds": [s.threshold for s in runner.config.stages[:-1]],
        "items": n,
        "accuracy": sum(r["correct"] for r in records) / n if n else 0.0,
        "resolved_per_stage": {s.name: per_stage.get(s.name, 0) for s in runner.config.stages},
        "large_tokens": {"input": large_in, "output": large_out},
        "cost_usd": cost,
        "cost_plan_usd": sum(r["cost_plan_usd"] for r in records),
        "cost_answer_usd": sum(r["cost_answer_usd"] for r in records),
        "cost_per_million_items_usd": cost / n * 1e6 if n else 0.0,
        "prices_as_of": runner.prices.as_of,
        "priced_as": runner.prices.price_as,
        **agent_summary(records),
        **(code_gate_summary(records) if benchmark_family(benchmark) == "code" else {}),
        "seconds_total": round(sum(r["seconds"] for r in records), 1),
        "wall_seconds": round(wall, 1),
    }


def run_eval(benchmark: str, limit: int | None, runner: Runner, out_dir: Path,
             progress: bool = True) -> dict[str, Any]:
    """Evaluate ``runner`` on ``benchmark``; writes items.jsonl and summary.json in ``out_dir``.

    Items are written as they finish, so an interrupted evaluation keeps what it computed;
    rerunning with the same data folder resumes from the checkpoints.
    """
    items = load_benchmark(benchmark, limit)
    family = get_family(benchmark_family(benchmark))
    out_dir.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    start = time.perf_counter()
    with (out_dir / "items.jsonl").open("w") as f:
        bar = tqdm(items, desc=f"{benchmark} [{runner.config.name}]", disable=not progress)
        for item in bar:
            result = runner.solve(item, family.name)
            record = item_record(item, result, family.score(item, result.answer))
            records.append(record)
            f.write(json.dumps(record, default=str) + "\n")
            f.flush()
            acc = sum(r["correct"] for r in records) / len(records)
            bar.set_postfix(acc=f"{acc:.2f}", stage=result.final_stage)
    summary = summarize_run(records, runner, benchmark, time.perf_counter() - start)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def resummarize(benchmark: str, runner: Runner, out_dir: Path) -> dict[str, Any]:
    """Rebuild ``summary.json`` from the ``items.jsonl`` already in ``out_dir``; no model runs.

    For a summary written by an older COPE, or lost with an interrupted run. Costs come from
    the items as they were billed; the wall time and the price date are kept from the previous
    summary when there is one (else the wall time is the sum of the items' seconds).
    """
    items_path = out_dir / "items.jsonl"
    lines = items_path.read_text().splitlines() if items_path.is_file() else []
    try:
        records = [json.loads(line) for line in lines if line.strip()]
    except json.JSONDecodeError as exc:
        raise CopeError(f"{items_path} is not COPE's JSON lines ({exc})") from exc
    if not records:
        raise CopeError(f"no items in {items_path}; run `cope eval {benchmark}` first, or point "
                        "--out (or --limit) at the folder that holds the run")
    summary_path = out_dir / "summary.json"
    old = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    try:
        summary = summarize_run(records, runner, benchmark,
                                old.get("wall_seconds", sum(r["seconds"] for r in records)))
    except (KeyError, TypeError, AttributeError) as exc:
        raise CopeError(f"{items_path} lacks a field COPE writes ({exc!r}); was it written "
                        "by `cope eval`?") from exc
    for key in ("benchmark", "cascade", "models"):
        if key in old and old[key] != summary[key]:
            raise CopeError(
                f"{out_dir} holds a run with {key} {old[key]}, not {summary[key]}; give the "
                "same benchmark, --cascade, --small and --large as the run"
            )
    for key in ("prices_as_of", "priced_as"):
        summary[key] = old.get(key, summary[key])
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    return summary
