"""A real bundled model plays the opening steps of a real ALFWorld game through the subgraph."""

from __future__ import annotations

import pytest

from cope.benchmarks import load_benchmark
from cope.graph import CopeContext
from cope.runner import Runner

pytestmark = pytest.mark.model


def test_real_model_plays_steps_of_a_real_game(tmp_path):
    item = load_benchmark("alfworld", 1)[0]
    item.meta["max_steps"] = 3
    # Both roles on the small model keep the test quick; the cascade and its plans are real.
    context = CopeContext(small="qwen2.5-coder-0.5b", large="qwen2.5-coder-0.5b")
    result = Runner("cope", context, data_dir=tmp_path).solve(item, "alfworld")

    assert len(result.trajectory) == 3
    for step in result.trajectory:
        assert step["line"].startswith("> ") and step["observation"]
        assert step["stage"] in {"stage1", "stage2", "stage3"}
    assert sum(result.steps_per_stage.values()) == 3
    tokens = result.ledger["tokens_by_role"]
    assert tokens["small/planner"]["output"] > 0  # the episode's goal
    assert tokens["small/executor"]["output"] > 0  # the proposed lines
    # every command the game was sent is one the game accepted at that point, or a thought
    played = [s["line"][2:] for s in result.trajectory]
    assert all(p.startswith("think") or s["observation"] != "Nothing happens."
               for p, s in zip(played, result.trajectory, strict=True))
