"""ALFWorld family: ReAct prompts with plans, a vote over admissible commands per line."""

from __future__ import annotations

from typing import Any

from cope.models.base import Message
from cope.prompts import load_prompt
from cope.tasks.base import Item, PlanKind, Verdict

THINK = "think"


class AlfworldFamily:
    """Prompts and per-line voting for household games; success is winning the game."""

    name = "alfworld"
    max_tokens = 96  # one line; the examples' thoughts run to about 70 tokens

    def planner_messages(self, observation: str, kind: PlanKind) -> list[Message]:
        """Ask for the episode's goal or guideline from the opening observation."""
        return [
            {"role": "system", "content": load_prompt(self.name, kind)},
            {"role": "user", "content": load_prompt(self.name, "planner_user").format(
                observation=observation)},
        ]

    def step_messages(self, item: dict[str, Any], observation: str, trajectory: list[dict],
                      goal: str | None, guideline: str | None) -> list[Message]:
        """The ReAct prompt: two solved games, the plan(s), the episode so far."""
        from cope.tasks.alfworld.fewshot import examples_for

        plans = []
        if goal:
            plans.append(load_prompt(self.name, "plan_goal").format(goal=goal))
        if guideline:
            plans.append(load_prompt(self.name, "plan_guideline").format(guideline=guideline))
        lines = [observation] + [f"{s['line']}\n{s['observation']}" for s in trajectory]
        user = load_prompt(self.name, "episode").format(
            examples=examples_for(item["meta"]["task_type"]),
            plans="\n".join(plans),
            trajectory="\n".join(lines),
            ask=load_prompt(self.name,
                            "ask_command" if self.follows_thought(trajectory) else "ask_line"),
        )
        return [{"role": "system", "content": load_prompt(self.name, "system")},
                {"role": "user", "content": user}]

    def vote_step(self, proposals: list[str], admissible: list[str],
                  after_thought: bool = False) -> Verdict:
        """Majority over proposals normalised to admissible commands (thoughts vote as one).

        ``after_thought``: the last line played was a thought, so a thought cannot win now. In
        the ReAct games a thought is always followed by a command; without this rule the
        0.5B model's eight thoughts, each worded a little differently, agreed step after step
        and the episode never acted.
        """
        from cope.tasks.alfworld.actions import normalise, vote

        lines = [normalise(p, admissible) for p in proposals]
        if after_thought:
            lines = [None if line == THINK else line for line in lines]
        winner, consensus, agreeing = vote(lines)
        answer = None
        if winner is not None:
            # A thought keeps the first agreeing sample's own words.
            answer = proposals[agreeing[0]].strip().lstrip(">").strip() \
                if winner == THINK else winner
        return Verdict(consensus=consensus, answer=answer,
                       chosen=agreeing[0] if agreeing else None, agreeing=agreeing,
                       details={"answers": lines})

    def check(self, item: Item, texts: list[str]) -> Verdict:
        """Vote over one line's proposals; admissible commands come from ``item.meta``."""
        return self.vote_step(texts, item.meta.get("admissible", []))

    @staticmethod
    def follows_thought(trajectory: list[dict]) -> bool:
        """Whether the last line played was a thought (the next one must be a command)."""
        from cope.tasks.alfworld.actions import is_thought

        return bool(trajectory) and is_thought(trajectory[-1]["line"])

    @staticmethod
    def as_line(line: str) -> str:
        return f"> {line}"

    def score(self, item: Item, prediction: Any) -> bool:
        """An episode succeeds when the game reports it won."""
        return prediction is True
