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
