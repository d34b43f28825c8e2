"""The math family end to end on the real bundled small model (llama.cpp)."""

from __future__ import annotations

import pytest

from cope.config import CascadeConfig, PlanSpec, StageSpec
from cope.graph import CopeContext
from cope.runner import Runner
from cope.tasks import Item, get_family

pytestmark = pytest.mark.model


def test_one_stage_with_real_small_model(tmp_path):
    config = CascadeConfig(
        name="one-stage-real",
        stages=(
            StageSpec(name="stage1", executor="small", samples=4, temperature=0.4,
                      threshold=0.75,
                      plan=PlanSpec(role="small", kind="goal", per_sample=True, max_tokens=48)),
        ),
    )
    runner = Runner(config, CopeContext(small="qwen2.5-coder-0.5b"), data_dir=tmp_path)
    item = Item("easy-1", "Tom has 3 apples and buys 4 more. How many apples does he have now?",
                gold="7")
    result = runner.solve(item, "math")

    stage = result.stages[0]
    assert len(stage["answers"]) == 4
    assert len(stage["plans"]) >= 1 and all(p for p in stage["plans"])
    assert result.final_stage == "stage1"
    assert get_family("math").score(item, result.answer), result.answer
    tokens = result.ledger["tokens_by_role"]
    assert tokens["small/planner"]["output"] > 0 and tokens["small/executor"]["output"] > 0
    assert result.ledger["cost_usd"] == 0.0


def test_cope_run_command_reports_progress_and_answer(tmp_path):
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "cope.cli", "run", "What is 2 + 3?", "--cascade", "small-only",
         "--small", "smollm2-135m", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "120"},
    )
    assert done.returncode == 0, done.stderr
    # one progress line per node on stderr, the result table on stdout
    progress = [ln.split()[0] for ln in done.stderr.splitlines()
                if ln.startswith("small_")]
    assert progress == ["small_execute", "small_check_confidence"]
    assert "consensus" in done.stderr
    assert "answer" in done.stdout and "resolved at" in done.stdout
