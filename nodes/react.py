"""ReAct nodes for ALFWorld: open the game, plan once, propose and vote on each line, act.

Each step runs the cascade on one line: the stage's executor proposes n next lines, they are
normalised to admissible commands and voted on, and a weak vote escalates to the next stage.
Choices (the paper leaves them open): every step starts again at stage 1 (an escalation does
not carry over); the goal is written once at the start and the guideline once, the first time
a step reaches stage 2; both stay in the prompt for the rest of the episode.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from cope.config import CascadeConfig, StageSpec
from cope.graph.state import EpisodeState, Step
from cope.models.base import GenRequest
from cope.nodes.common import context_of, seed_for, usage_entry
from cope.nodes.plan import clean_plan
from cope.tasks.alfworld import session
from cope.tasks.alfworld.family import AlfworldFamily

log = logging.getLogger(__name__)
FAMILY = AlfworldFamily()


def _key(state: EpisodeState, config: RunnableConfig) -> str:
    thread = (config.get("configurable") or {}).get("thread_id", "")
    return f"{thread}:{state['item']['id']}"


def start_episode(state: EpisodeState, config: RunnableConfig) -> dict:
    """Open the game and read its first observation and admissible commands."""
    env = session.open_game(_key(state, config), state["item"], [])
    return {"observation": env.first_observation, "admissible": env.admissible,
            "trajectory": [], "won": False, "done": False}


def make_plan(config: CascadeConfig, stage: StageSpec) -> Callable[..., dict]:
    """Write the stage's plan once per episode (later visits keep the one written)."""
    spec = stage.plan
    assert spec is not None
    field = "goal" if spec.kind == "goal" else "guideline"

    def plan(state: EpisodeState, runtime: Runtime) -> dict:
        if state.get(field):
            return {}
        ctx = context_of(runtime)
        engine = ctx.engine(spec.role)
        request = GenRequest(
            messages=FAMILY.planner_messages(state["observation"], spec.kind),
            temperature=spec.temperature, max_tokens=spec.max_tokens,
            seed=seed_for(config.seed, state["item"]["id"], stage.name, "plan", 0),
        )
        gens = engine.generate([request])
        log.info("%s: %s wrote the episode %s", stage.name, spec.role, spec.kind)
        return {field: clean_plan(gens[0].text),
                "usage": [usage_entry(stage.name, "planner", spec.role, engine.name, gens)]}

    plan.__name__ = f"{stage.name}_plan"
    return plan


def make_propose(config: CascadeConfig, stage: StageSpec) -> Callable[..., dict]:
    """The stage's executor proposes n next lines, drawn as one batch."""
    sees_goal = bool(stage.plan and stage.plan.kind == "goal") or stage.carry_goal
    sees_guideline = bool(stage.plan and stage.plan.kind == "guideline") or stage.reuse_guideline

    def propose(state: EpisodeState, runtime: Runtime) -> dict:
        ctx = context_of(runtime)
        engine = ctx.engine(stage.executor)
        messages = FAMILY.step_messages(
            state["item"], state["observation"], state.get("trajectory", []),
            goal=state.get("goal") if sees_goal else None,
            guideline=state.get("guideline") if sees_guideline else None,
        )
        step = len(state.get("trajectory", []))
        requests = [
            GenRequest(messages=messages, temperature=stage.temperature,
                       max_tokens=FAMILY.max_tokens, stop=("\n",),
                       seed=seed_for(config.seed, state["item"]["id"], stage.name, f"s{step}", k))
            for k in range(stage.samples)
        ]
        gens = engine.generate(requests)
        return {"proposals": [g.text for g in gens],
                "usage": [usage_entry(stage.name, "executor", stage.executor, engine.name, gens)]}

    propose.__name__ = f"{stage.name}_propose"
    return propose


def make_vote(config: CascadeConfig, stage: StageSpec) -> Callable[..., dict]:
    """Vote on the proposals; accept the winning line or leave ``chosen`` empty to escalate.

    The last stage always acts. When none of its proposals is a command the game accepts
    (the 1.5B model wrote "use desklamp 1" with no desklamp in reach), the line falls back to
    the command most proposed at this step by any stage, and to "look" when no proposal at
    this step named an admissible command.
    """
    index = config.stages.index(stage)
    last = index == len(config.stages) - 1

    def vote(state: EpisodeState) -> dict:
        after_thought = FAMILY.follows_thought(state.get("trajectory") or [])
        verdict = FAMILY.vote_step(state["proposals"], state["admissible"], after_thought)
        accepted = verdict.answer is not None and config.accepts(verdict.consensus, index)
        pooled = list(state.get("step_lines") or []) + verdict.details["answers"]
        chosen = verdict.answer if accepted else None
        if last and chosen is None:
            chosen = fallback_command(pooled)
            log.info("%s: no admissible line from the last stage; playing %r", stage.name,
                     chosen or "look")
        return {"chosen": chosen, "step_lines": pooled,
                "step_stage": stage.name, "step_consensus": verdict.consensus}

    vote.__name__ = f"{stage.name}_vote"
    return vote


def fallback_command(pooled: list[str | None]) -> str | None:
    """The admissible command proposed most often at this step (ties: first seen), if any."""
    from cope.tasks.alfworld.actions import THINK, vote

    winner, _, _ = vote([line if line != THINK else None for line in pooled])
    return winner


def act(state: EpisodeState, config: RunnableConfig) -> dict:
    """Play the chosen line: a thought gets "OK.", a command goes to the game."""
    line = state.get("chosen") or "look"
    trajectory = list(state.get("trajectory", []))
    env = session.open_game(_key(state, config), state["item"], [s["line"] for s in trajectory])
    observation, won, done = env.play(line)
    trajectory.append(Step(line=FAMILY.as_line(line), observation=observation,
                           stage=state["step_stage"], consensus=state["step_consensus"]))
    return {"trajectory": trajectory, "admissible": env.admissible, "won": won, "done": done,
            "chosen": None, "step_lines": []}


def is_stuck(trajectory: list[Step], cycles: int = 3) -> bool:
    """Whether the last lines repeat one line, or a pair of lines, ``cycles`` times over with
    the same observations: greedy play that has stopped changing the game or its own mind.

    Seen with the offline pair: the large model alternating one thought with "look" until the
    step limit, each line paid for by all three stages.
    """
    played = [(s["line"], s["observation"]) for s in trajectory]
    for period in (1, 2):
        tail = played[-period * cycles:]
        if len(tail) == period * cycles and all(
            tail[i] == tail[i % period] for i in range(len(tail))
        ):
            return True
    return False


def make_finish(config: CascadeConfig) -> Callable[..., dict]:
    """Close the game and report: won or not, and how many steps each stage decided."""
    order = [s.name for s in config.stages]

    def finish(state: EpisodeState, config: RunnableConfig) -> dict:
        trajectory = state.get("trajectory", [])
        session.close_game(_key(state, config))
        per_stage = {name: sum(s["stage"] == name for s in trajectory) for name in order}
        reached = [name for name in order if per_stage[name]]
        mean = sum(s["consensus"] for s in trajectory) / len(trajectory) if trajectory else 0.0
        return {"answer": bool(state.get("won")), "final_stage": reached[-1] if reached else "",
                "consensus": mean, "steps_per_stage": per_stage}

    return finish
