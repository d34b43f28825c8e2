"""Graph mechanics with scripted engines: structure, early exit, full escalation, carry-over."""

from __future__ import annotations

import pytest

from cope.config import load_config
from cope.graph import CopeContext, compile_graph
from cope.runner import Runner
from cope.tasks import Item
from tests.fakes import ScriptedEngine, is_plan

PROBLEM = "What is 1/2 + 0?"


def boxed(x: str) -> str:
    return f"Some steps. Therefore, the final answer is: $\\boxed{{{x}}}$."


def make_engines(small_answers, large_answer="7"):
    """small: goal k for its k-th call, then ``small_answers`` in turn; large: guideline, answer."""
    executed = []

    def small(req, k):
        if is_plan(req):
            return f"The goal is to find thing {k}."
        executed.append(req)
        return boxed(small_answers[(len(executed) - 1) % len(small_answers)])

    def large(req, k):
        return "Use the key idea carefully." if is_plan(req) else boxed(large_answer)

    return ScriptedEngine("fake-small", small), ScriptedEngine("fake-large", large)


def run(config, small, large, tmp_path, problem=PROBLEM, item_id="p1"):
    runner = Runner(config, CopeContext(engines={"small": small, "large": large}),
                    data_dir=tmp_path)
    return runner.solve(Item(item_id, problem), "math")


def test_compiled_graph_has_stage_nodes_and_escalation_edges():
    graph = compile_graph("cope").get_graph()
    nodes = set(graph.nodes)
    for stage in ("stage1", "stage2"):
        assert {f"{stage}_plan", f"{stage}_execute", f"{stage}_check_confidence"} <= nodes
    assert {"stage3_execute", "stage3_check_confidence"} <= nodes
    conditional = {(e.source, e.target) for e in graph.edges if e.conditional}
    assert ("stage1_check_confidence", "stage2_plan") in conditional
    assert ("stage1_check_confidence", "__end__") in conditional
    assert ("stage2_check_confidence", "stage3_execute") in conditional
    assert ("stage2_check_confidence", "__end__") in conditional


def test_consensus_exits_at_stage_one(tmp_path):
    # 1/2, 0.5 and \frac{1}{2} are one answer: 8 of 8 agree.
    small, large = make_engines(["1/2", "0.5", "\\frac{1}{2}", "\\dfrac{1}{2}"])
    result = run("cope", small, large, tmp_path)
    assert result.final_stage == "stage1"
    assert result.consensus == 1.0
    assert [s["stage"] for s in result.stages] == ["stage1"]
    assert large.requests == []  # the paid model was never called
    assert result.ledger["cost_usd"] == 0.0
    roles = result.ledger["calls_by_role"]
    assert roles == {"small/planner": 8, "small/executor": 8}


def test_disagreement_escalates_through_all_three_stages(tmp_path):
    small, large = make_engines([str(i) for i in range(8)], large_answer="42")
    result = run("cope", small, large, tmp_path)
    assert [s["stage"] for s in result.stages] == ["stage1", "stage2", "stage3"]
    assert [s["accepted"] for s in result.stages] == [False, False, True]
    assert result.final_stage == "stage3" and result.answer == "42"
    # large: one guideline (stage 2) + one greedy answer (stage 3)
    assert len(large.requests) == 2
    assert large.requests[1].temperature == 0.0
    # stage 2 executors saw one stage-1 goal and the guideline; stage 3 only the guideline
    stage2_users = [r.messages[1]["content"] for r in small.requests[16:]]
    assert len(stage2_users) == 8
    assert all("Guideline" in u and "Goal" in u for u in stage2_users)
    assert "Guideline" in large.requests[1].messages[1]["content"]
    assert "Goal" not in large.requests[1].messages[1]["content"]


def test_on_step_reports_each_node_in_order(tmp_path):
    small, large = make_engines([str(i) for i in range(8)], large_answer="42")
    runner = Runner("cope", CopeContext(engines={"small": small, "large": large}),
                    data_dir=tmp_path)
    seen = []
    runner.solve(Item("p1", PROBLEM), "math", on_step=lambda node, up: seen.append((node, up)))
    assert [n for n, _ in seen] == [
        "stage1_plan", "stage1_execute", "stage1_check_confidence",
        "stage2_plan", "stage2_execute", "stage2_check_confidence",
        "stage3_execute", "stage3_check_confidence",
    ]
    checks = [up["stages"][-1]["accepted"] for n, up in seen if n.endswith("check_confidence")]
    assert checks == [False, False, True]


def test_carried_goal_backs_the_stage_one_majority(tmp_path):
    # Samples 0..7 answer 5,5,5,5,9,9,1,2: the majority (5) came from goals 0..3.
    answers = ["5", "5", "5", "5", "9", "9", "1", "2"]
    small, large = make_engines(answers)
    result = run("cope", small, large, tmp_path)
    assert result.stages[0]["consensus"] == 0.5 and not result.stages[0]["accepted"]
    carried = {r.messages[1]["content"].split("Goal (from a planner): ")[1].split("\n")[0]
               for r in small.requests[16:]}
    assert len(carried) == 1
    assert carried.pop() in {f"The goal is to find thing {k}." for k in range(4)}


@pytest.mark.parametrize("comparison,expected", [(">", "stage2"), (">=", "stage1")])
def test_threshold_comparison_is_configurable(tmp_path, comparison, expected):
    from dataclasses import replace

    # 6 of 8 agree: exactly tau1 = 0.75.
    small, large = make_engines(["3", "3", "3", "3", "3", "3", "1", "2"])
    config = replace(load_config("cope"), comparison=comparison)
    # stage 2: all agree on 3 (stage-2 samples reuse the same script order)
    result = run(config, small, large, tmp_path)
    assert result.stages[0]["consensus"] == 0.75
    assert result.final_stage == expected


def test_single_stage_baselines_come_from_the_same_builder(tmp_path):
    small, large = make_engines(["4"], large_answer="9")
    assert run("small-only", small, large, tmp_path).answer == "4"
    assert run("large-only", small, large, tmp_path / "b").answer == "9"
    assert all(not is_plan(r) for r in small.requests + large.requests)


def test_finished_problem_is_recalled_without_model_calls(tmp_path):
    small, large = make_engines(["2"])
    first = run("cope", small, large, tmp_path)
    calls = len(small.requests)
    again = run("cope", small, large, tmp_path)
    assert again.answer == first.answer and again.resumed
    assert len(small.requests) == calls
