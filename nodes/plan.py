"""Planner node: a goal per sample, or one guideline, written by the stage's planner model."""

from __future__ import annotations

import logging
from collections.abc import Callable

from langgraph.runtime import Runtime

from cope.config import CascadeConfig, StageSpec
from cope.graph.state import CopeState
from cope.models.base import GenRequest
from cope.nodes.common import context_of, item_and_family, seed_for, usage_entry

log = logging.getLogger(__name__)


def clean_plan(text: str) -> str:
    """A plan as one paragraph, whitespace collapsed: the first paragraph, and while a kept
    paragraph ends in a colon ("... follow these steps:") the one it introduces too. Anything
    after that (a model that goes on to solve the problem) is dropped."""
    kept: list[str] = []
    for paragraph in (p.strip() for p in text.strip().split("\n\n")):
        if not paragraph:
            continue
        kept.append(paragraph)
        if not paragraph.endswith(":"):
            break
    return " ".join(" ".join(kept).split())


def make_plan(config: CascadeConfig, stage: StageSpec) -> Callable[..., dict]:
    """The planner node of ``stage``."""
    spec = stage.plan
    assert spec is not None

    def plan(state: CopeState, runtime: Runtime) -> dict:
        """Write this stage's plan(s) and record the planner's tokens."""
        ctx = context_of(runtime)
        item, family = item_and_family(state)
        engine = ctx.engine(spec.role)

        count = stage.samples if spec.per_sample else 1
        messages = family.planner_messages(item, spec.kind)
        requests = [
            GenRequest(
                messages=messages,
                temperature=spec.temperature,
                max_tokens=spec.max_tokens,
                seed=seed_for(config.seed, item.id, stage.name, "plan", k),
            )
            for k in range(count)
        ]
        gens = engine.generate(requests)
        plans = [clean_plan(g.text) for g in gens]

        update: dict = {
            "stage_index": config.stages.index(stage),
            "usage": [usage_entry(stage.name, "planner", spec.role, engine.name, gens)],
        }
        if spec.kind == "goal":
            update["goals"] = plans
        else:
            update["guideline"] = plans[0]
        log.info("%s: %s wrote %d %s(s)", stage.name, spec.role, len(plans), spec.kind)
        return update

    plan.__name__ = f"{stage.name}_plan"
    return plan
