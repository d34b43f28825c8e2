"""Build the cascade graph from a stage list: plan -> execute -> check_confidence per stage,
with a conditional edge after each check that finishes or escalates to the next stage."""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from cope.config import CascadeConfig, StageSpec, load_config
from cope.graph.alfworld import build_episode_graph
from cope.graph.context import CopeContext
from cope.graph.state import CopeInput, CopeOutput, CopeState
from cope.nodes import make_check_confidence, make_execute, make_plan


def first_node(stage: StageSpec) -> str:
    """Where a stage starts: its planner if it writes a plan, else its executor."""
    return f"{stage.name}_plan" if stage.plan else f"{stage.name}_execute"


def make_router(stage: StageSpec, next_stage: StageSpec):
    """Conditional edge after ``stage``'s check: finish when accepted, else escalate."""
    target = first_node(next_stage)

    def route(state: CopeState) -> Literal["escalate", "finish"]:
        return "finish" if state["stages"][-1]["accepted"] else "escalate"

    route.__name__ = f"route_after_{stage.name}"
    return route, {"escalate": target, "finish": END}


def route_task(state: CopeState) -> Literal["agent", "cascade"]:
    """Agent tasks (ALFWorld) play an episode; every other family runs the stage cascade."""
    return "agent" if state["task"] == "alfworld" else "cascade"


def build_graph(config: CascadeConfig | str = "cope") -> StateGraph:
    """An uncompiled cascade graph for ``config`` (a CascadeConfig or a preset name)."""
    if isinstance(config, str):
        config = load_config(config)
    config.validate()
    builder = StateGraph(
        CopeState, context_schema=CopeContext, input_schema=CopeInput, output_schema=CopeOutput
    )

    # Nodes: one planner (if the stage plans), one executor, one confidence checker per stage.
    for stage in config.stages:
        if stage.plan:
            builder.add_node(f"{stage.name}_plan", make_plan(config, stage))
        builder.add_node(f"{stage.name}_execute", make_execute(config, stage))
        builder.add_node(f"{stage.name}_check_confidence", make_check_confidence(config, stage))

    # ALFWorld games run as a ReAct subgraph that applies the same stages to every line.
    builder.add_node("alfworld_episode", build_episode_graph(config))
    builder.add_edge("alfworld_episode", END)

    # Entry: agent tasks go to the subgraph, single-answer tasks to the first stage.
    builder.add_conditional_edges(
        START, route_task, {"agent": "alfworld_episode", "cascade": first_node(config.stages[0])}
    )

    # Edges inside a stage.
    for stage in config.stages:
        if stage.plan:
            builder.add_edge(f"{stage.name}_plan", f"{stage.name}_execute")
        builder.add_edge(f"{stage.name}_execute", f"{stage.name}_check_confidence")

    # Escalation: each check either finishes or hands over to the next stage.
    for stage, nxt in zip(config.stages, config.stages[1:], strict=False):
        route, path_map = make_router(stage, nxt)
        builder.add_conditional_edges(f"{stage.name}_check_confidence", route, path_map)
    builder.add_edge(f"{config.stages[-1].name}_check_confidence", END)
    return builder


def compile_graph(
    config: CascadeConfig | str = "cope", checkpointer: Checkpointer = None
) -> CompiledStateGraph:
    """The compiled cascade; attach a checkpointer for resumable runs."""
    if isinstance(config, str):
        config = load_config(config)
    return build_graph(config).compile(checkpointer=checkpointer, name=f"COPE {config.name}")
