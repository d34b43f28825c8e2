"""Math family: boxed answers, majority vote over symbolically equivalent answers."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from cope.models.base import Message
from cope.prompts import load_prompt
from cope.tasks.base import Item, PlanKind, Verdict
from cope.tasks.math_equiv import answers_equal, group_answers

_FINAL_RE = re.compile(r"final answer is[:\s]*\$?([^\n$]+?)\$?\s*(?:\.|$)", re.IGNORECASE)


def extract_boxed(text: str) -> str | None:
    r"""The content of the last ``\boxed{...}`` (nested braces allowed), or of a trailing
    "final answer is X" when nothing is boxed; ``None`` when neither is there."""
    start = text.rfind("\\boxed")
    if start != -1:
        i = text.find("{", start)
        if i != -1:
            depth = 0
            for j in range(i, len(text)):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        inner = text[i + 1 : j].strip()
                        return inner or None
    matches = _FINAL_RE.findall(text)
    return matches[-1].strip() if matches else None


class MathFamily:
    """Problems with one final answer, compared symbolically (1/2 = 0.5 = \\frac{1}{2})."""

    name = "math"
    max_tokens = 768

    def planner_messages(self, item: Item, kind: PlanKind) -> list[Message]:
        return [
            {"role": "system", "content": load_prompt(self.name, kind)},
            {"role": "user", "content": load_prompt(self.name, "planner_user").format(
                problem=item.problem)},
        ]

    def executor_messages(
        self, item: Item, goal: str | None, guideline: str | None
    ) -> list[Message]:
        user = load_prompt(self.name, "executor_user").format(problem=item.problem)
        if goal:
            user += "\n" + load_prompt(self.name, "plan_goal").format(goal=goal)
        if guideline:
            user += "\n" + load_prompt(self.name, "plan_guideline").format(guideline=guideline)
        return [
            {"role": "system", "content": load_prompt(self.name, "executor")},
            {"role": "user", "content": user},
        ]

    def check(self, item: Item, texts: list[str]) -> Verdict:
        answers = [extract_boxed(t) for t in texts]
        labels = group_answers(answers)
        counts = Counter(lab for lab, a in zip(labels, answers, strict=True) if a is not None)
        if not counts:
            return Verdict(0.0, None, None, [], {"answers": answers})
        # Largest group; ties go to the group seen first.
        best = max(counts, key=lambda lab: (counts[lab], -labels.index(lab)))
        agreeing = [i for i, lab in enumerate(labels) if lab == best and answers[i] is not None]
        return Verdict(
            consensus=counts[best] / len(texts),
            answer=answers[agreeing[0]],
            chosen=agreeing[0],
            agreeing=agreeing,
            details={"answers": answers, "groups": labels},
        )

    def score(self, item: Item, prediction: Any) -> bool:
        if item.gold is None:
            return False
        return answers_equal(None if prediction is None else str(prediction), str(item.gold))
