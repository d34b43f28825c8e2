"""The ALFWorld ReAct subgraph: plan once, then per line propose -> vote -> act, escalating a
line through the cascade's stages when its vote is weak."""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from cope.config import CascadeConfig, StageSpec
from cope.graph.context import CopeContext
from cope.graph.state import EpisodeState
from cope.nodes import react

MAX_STEPS = 50


def _entry(stage: StageSpec) -> str:
    return f"{stage.name}_plan" if stage.plan else f"{stage.name}_propose"


def build_episode_graph(config: CascadeConfig, max_steps: int = MAX_STEPS) -> CompiledStateGraph:
    """Compile the per-episode ReAct subgraph for ``config``'s stages."""
    builder = StateGraph(EpisodeState, context_schema=CopeContext)
    first = config.stages[0]

    # Nodes: open the game; per stage an optional planner, a proposer and a vote; act; finish.
    builder.add_node("start_episode", react.start_episode)
    for stage in config.stages:
        if stage.plan:
            builder.add_node(f"{stage.name}_plan", react.make_plan(config, stage))
        builder.add_node(f"{stage.name}_propose", react.make_propose(config, stage))
        builder.add_node(f"{stage.name}_vote", react.make_vote(config, stage))
    builder.add_node("act", react.act)
    builder.add_node("finish", react.make_finish(config))

    # The episode opens and plans with the first stage's planner (the goal).
    builder.add_edge(START, "start_episode")
    builder.add_edge("start_episode", _entry(first))
    for stage in config.stages:
        if stage.plan:
            builder.add_edge(f"{stage.name}_plan", f"{stage.name}_propose")
        builder.add_edge(f"{stage.name}_propose", f"{stage.name}_vote")

    # A weak vote escalates this line to the next stage; the last stage always acts.
    for stage, nxt in zip(config.stages, config.stages[1:], strict=False):
        def route(state: EpisodeState) -> Literal["act", "escalate"]:
            return "act" if state.get("chosen") else "escalate"

        builder.add_conditional_edges(f"{stage.name}_vote", route,
                                      {"act": "act", "escalate": _entry(nxt)})
    builder.add_edge(f"{config.stages[-1].name}_vote", "act")

    # After each line: next line from stage 1, or finish (won, lost, stuck in a loop, or out
    # of steps; an item may lower the budget with meta["max_steps"]).
    def next_line(state: EpisodeState) -> Literal["next", "finish"]:
        over = state.get("won") or state.get("done") or react.is_stuck(state.get("trajectory", []))
        budget = int(state["item"].get("meta", {}).get("max_steps", max_steps))
        return "finish" if over or len(state.get("trajectory", [])) >= budget else "next"

    builder.add_conditional_edges("act", next_line,
                                  {"next": f"{first.name}_propose", "finish": "finish"})
    builder.add_edge("finish", END)
    return builder.compile(name="ALFWorld ReAct")
