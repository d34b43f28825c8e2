"""The code family end to end on the real bundled small model: an easy MBPP task is solved."""

from __future__ import annotations

import pytest

from cope.benchmarks import load_benchmark
from cope.config import CascadeConfig, PlanSpec, StageSpec
from cope.graph import CopeContext
from cope.runner import Runner
from cope.tasks import get_family

pytestmark = pytest.mark.model


def test_easy_mbpp_task_passes_hidden_tests(tmp_path):
    item = next(i for i in load_benchmark("mbpp") if i.id == "mbpp-17")  # square perimeter
    config = CascadeConfig(
        name="code-one-stage-real",
        stages=(
            StageSpec(name="stage1", executor="small", samples=3, temperature=0.4,
                      threshold=0.5,
                      plan=PlanSpec(role="small", kind="goal", per_sample=True, max_tokens=48)),
        ),
    )
    runner = Runner(config, CopeContext(small="qwen2.5-coder-0.5b"), data_dir=tmp_path)
    result = runner.solve(item, "code")

    assert result.final_stage == "stage1"
    assert "def square_perimeter" in result.answer
    assert result.stages[0]["consensus"] == 1.0  # some sample passed the visible test
    assert get_family("code").score(item, result.answer)  # and the hidden tests
