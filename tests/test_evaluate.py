"""Summary extras computed from the per-item records."""

from __future__ import annotations

from cope.evaluate import agent_summary, code_gate_summary


def test_code_gate_summary_counts_gate_and_hidden_disagreements():
    records = [
        {"stage": "stage1", "consensus": {"stage1": 1.0}, "correct": True},
        {"stage": "stage1", "consensus": {"stage1": 1.0}, "correct": False},  # gate fooled
        {"stage": "stage3", "consensus": {"stage1": 0.0, "stage2": 0.0, "stage3": 0.0},
         "correct": False},  # the last stage returns a program that passed nothing
        {"stage": "stage3", "consensus": {"stage1": 0.0, "stage2": 0.0, "stage3": 1.0},
         "correct": True},
    ]
    assert code_gate_summary(records) == {
        "passed_visible_tests": 3,
        "passed_visible_failed_hidden": 1,
        "returned_without_passing_visible": 1,
    }


def test_agent_summary_per_task_type_and_stage():
    records = [
        {"correct": True, "task_type": "pick_heat_then_place_in_recep", "steps": 10,
         "steps_per_stage": {"stage1": 8, "stage2": 2, "stage3": 0}},
        {"correct": False, "task_type": "pick_heat_then_place_in_recep", "steps": 50,
         "steps_per_stage": {"stage1": 30, "stage2": 10, "stage3": 10}},
        {"correct": False, "task_type": "look_at_obj_in_light", "steps": 50,
         "steps_per_stage": {"stage1": 50, "stage2": 0, "stage3": 0}},
    ]
    out = agent_summary(records)
    assert out["success_by_task_type"] == {"look_at_obj_in_light": "0/1",
                                           "pick_heat_then_place_in_recep": "1/2"}
    assert out["mean_steps"] == 110 / 3
    assert out["steps_decided_per_stage"] == {"stage1": 88, "stage2": 12, "stage3": 10}
    assert agent_summary([{"correct": True}]) == {}


def _record(item_id: str, stage: str, consensus: dict, correct: bool, cost: float) -> dict:
    return {"id": item_id, "stage": stage, "consensus": consensus, "correct": correct,
            "tokens_by_role": {"large/planner": {"input": 10, "output": 2}},
            "cost_usd": cost, "cost_plan_usd": cost, "cost_answer_usd": 0.0, "seconds": 4.0}


def test_summary_only_rebuilds_the_summary_from_items(tmp_path):
    import json

    import pytest

    from cope.errors import CopeError
    from cope.evaluate import resummarize
    from cope.runner import Runner

    runner = Runner("cope", data_dir=tmp_path / "runs")
    out = tmp_path / "mbpp-cope-2"
    with pytest.raises(CopeError, match="no items"):
        resummarize("mbpp", runner, out)

    out.mkdir()
    (out / "summary.json").write_text(json.dumps({"wall_seconds": 99.0}))
    records = [_record("a", "stage1", {"stage1": 1.0}, False, 0.0),
               _record("b", "stage2", {"stage1": 0.0, "stage2": 1.0}, True, 0.5)]
    (out / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))

    summary = resummarize("mbpp", runner, out)
    assert summary == json.loads((out / "summary.json").read_text())
    assert summary["wall_seconds"] == 99.0  # kept from the run, not the rebuild
    assert summary["accuracy"] == 0.5 and summary["cost_usd"] == 0.5
    assert summary["resolved_per_stage"] == {"stage1": 1, "stage2": 1, "stage3": 0}
    assert summary["passed_visible_failed_hidden"] == 1
    assert summary["large_tokens"] == {"input": 20, "output": 4}


def test_summary_only_refuses_another_runs_folder(tmp_path):
    import json

    import pytest

    from cope.errors import CopeError
    from cope.evaluate import resummarize
    from cope.runner import Runner

    out = tmp_path / "run"
    out.mkdir()
    (out / "items.jsonl").write_text(json.dumps(_record("a", "stage1", {"stage1": 1.0}, True,
                                                        0.0)) + "\n")
    resummarize("mbpp", Runner("cope", data_dir=tmp_path / "runs"), out)
    with pytest.raises(CopeError, match="holds a run with cascade cope"):
        resummarize("mbpp", Runner("small-only", data_dir=tmp_path / "runs"), out)
    with pytest.raises(CopeError, match="holds a run with benchmark mbpp"):
        resummarize("gsm8k", Runner("cope", data_dir=tmp_path / "runs"), out)
    (out / "items.jsonl").write_text('{"id": 1}\n')
    with pytest.raises(CopeError, match="lacks a field"):
        resummarize("mbpp", Runner("cope", data_dir=tmp_path / "runs"), out)


def test_default_results_folder_names_models_other_than_the_bundled_pair(tmp_path):
    from cope.cli import _default_out, build_parser
    from cope.graph import CopeContext
    from cope.runner import Runner

    args = build_parser().parse_args(["eval", "gsm8k", "--limit", "5"])
    bundled = Runner("cope", CopeContext(small="qwen2.5-coder-0.5b", large="qwen2.5-coder-1.5b"),
                     data_dir=tmp_path)
    remote = Runner("cope", CopeContext(small="qwen2.5-coder-0.5b", large="openai:gpt-4o-mini"),
                    data_dir=tmp_path)
    assert str(_default_out(args, bundled)) == "results/gsm8k-cope-5"
    assert str(_default_out(args, remote)) == "results/gsm8k-cope-5-openai_gpt-4o-mini"
