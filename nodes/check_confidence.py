"""Confidence-checker node: the family judges the candidates; the stage accepts or escalates."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from cope.config import CascadeConfig, StageSpec
from cope.graph.state import CopeState, StageRecord
from cope.nodes.common import item_and_family, seed_for
from cope.nodes.execute import plans_for_samples

log = logging.getLogger(__name__)


def make_check_confidence(config: CascadeConfig, stage: StageSpec) -> Callable[..., dict]:
    """The confidence-checker node of ``stage``."""
    index = config.stages.index(stage)

    def check_confidence(state: CopeState) -> dict:
        """Score consensus; on accept set the answer, else carry a goal to the next stage."""
        item, family = item_and_family(state)
        verdict = family.check(item, state["candidates"])
        accepted = config.accepts(verdict.consensus, index)

        plans = plans_for_samples(stage, state)
        record = StageRecord(
            stage=stage.name,
            plans=sorted({p for pair in plans for p in pair if p}),
            answers=verdict.details.get("answers", []),
            consensus=verdict.consensus,
            accepted=accepted,
            answer=verdict.answer,
        )
        log.info(
            "%s: consensus %.3f -> %s", stage.name, verdict.consensus,
            "accepted" if accepted else "escalated",
        )
        update: dict = {"stages": [record]}
        if accepted:
            update |= {"answer": verdict.answer, "final_stage": stage.name,
                       "consensus": verdict.consensus}
            return update

        # Carry one goal that backed the (rejected) majority, picked at random.
        pool = verdict.agreeing or list(range(len(plans)))
        goals = [plans[i][0] for i in pool if plans[i][0]]
        if goals:
            rng = random.Random(seed_for(config.seed, item.id, stage.name, "carry", 0))
            update["carried_goal"] = rng.choice(goals)
        return update

    check_confidence.__name__ = f"{stage.name}_check_confidence"
    return check_confidence
