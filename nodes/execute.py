"""Executor node: n candidate answers under the stage's plan, drawn as one batch."""

from __future__ import annotations

from collections.abc import Callable

from langgraph.runtime import Runtime

from cope.config import CascadeConfig, StageSpec
from cope.graph.state import CopeState
from cope.models.base import GenRequest
from cope.nodes.common import context_of, item_and_family, seed_for, usage_entry


def plans_for_samples(stage: StageSpec, state: CopeState) -> list[tuple[str | None, str | None]]:
    """The (goal, guideline) each sample of ``stage`` is conditioned on."""
    own = stage.plan
    guideline = None
    if (own and own.kind == "guideline") or stage.reuse_guideline:
        guideline = state.get("guideline")
    if own and own.kind == "goal":
        goals = state.get("goals") or []
        if own.per_sample:
            return [(goals[k], guideline) for k in range(stage.samples)]
        return [(goals[0] if goals else None, guideline)] * stage.samples
    goal = state.get("carried_goal") if stage.carry_goal else None
    return [(goal, guideline)] * stage.samples


def make_execute(config: CascadeConfig, stage: StageSpec) -> Callable[..., dict]:
    """The executor node of ``stage``."""

    def execute(state: CopeState, runtime: Runtime) -> dict:
        """Draw the stage's candidates in one batch and record the executor's tokens."""
        ctx = context_of(runtime)
        item, family = item_and_family(state)
        engine = ctx.engine(stage.executor)

        requests = [
            GenRequest(
                messages=family.executor_messages(item, goal, guideline),
                temperature=stage.temperature,
                max_tokens=family.max_tokens,
                seed=seed_for(config.seed, item.id, stage.name, "execute", k),
            )
            for k, (goal, guideline) in enumerate(plans_for_samples(stage, state))
        ]
        gens = engine.generate(requests)
        if len(gens) != len(requests):
            raise RuntimeError(f"{engine.name} returned {len(gens)} of {len(requests)} samples")

        return {
            "stage_index": config.stages.index(stage),
            "candidates": [g.text for g in gens],
            "usage": [usage_entry(stage.name, "executor", stage.executor, engine.name, gens)],
        }

    execute.__name__ = f"{stage.name}_execute"
    return execute
