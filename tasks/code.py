"""Code family: programs gated on visible tests and scored on hidden ones, all run in the sandbox.

Confidence is binary: a stage is sure of itself when at least one of its candidate programs
passes the visible tests (consensus 1.0), so any threshold below 1 reads "some sample
passes". When an item has no visible tests (30 HumanEval prompts give no usable example),
the gate falls back to a smoke test: the program runs and defines the requested function.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from cope.models.base import Message
from cope.prompts import load_prompt
from cope.sandbox import Limits, run_many, run_program, sandbox_mode
from cope.tasks.base import Item, PlanKind, Verdict
from cope.tasks.code_extract import extract_program

logger = logging.getLogger(__name__)


class CodeFamily:
    """Python function synthesis (MBPP, HumanEval): one fenced program per candidate."""

    name = "code"
    max_tokens = 640  # MBPP/HumanEval programs are short; a longer reply is rambling

    def __init__(
        self,
        check_timeout: float = 5.0,
        score_timeout: float = 15.0,
        workers: int | None = None,
        limits: Limits | None = None,
    ) -> None:
        """Time limits per program for check and score; sandbox workers and limits."""
        self.check_timeout = check_timeout
        self.score_timeout = score_timeout
        self.workers = workers
        self.limits = limits or Limits()

    # Prompts: the models see the task, the function name and the visible tests only.

    def planner_messages(self, item: Item, kind: PlanKind) -> list[Message]:
        """System prompt for a goal or a guideline, then the task."""
        user = load_prompt(self.name, "planner_user").format(task=self.task_text(item))
        return [
            {"role": "system", "content": load_prompt(self.name, kind)},
            {"role": "user", "content": user},
        ]

    def executor_messages(
        self, item: Item, goal: str | None, guideline: str | None
    ) -> list[Message]:
        """The task, then the plan (goal and/or guideline) when one is given."""
        user = load_prompt(self.name, "executor_user").format(task=self.task_text(item))
        if goal:
            user += "\n\n" + load_prompt(self.name, "plan_goal").format(goal=goal.strip())
        if guideline:
            user += "\n\n" + load_prompt(self.name, "plan_guideline").format(
                guideline=guideline.strip())
        return [
            {"role": "system", "content": load_prompt(self.name, "executor")},
            {"role": "user", "content": user},
        ]

    def task_text(self, item: Item) -> str:
        """The task as the models read it: statement, function name, visible tests."""
        shape = "task_code" if item.meta.get("prompt_code") else "task_text"
        parts = [
            load_prompt(self.name, shape).format(problem=item.problem.strip("\n")),
            load_prompt(self.name, "entry_point").format(entry_point=item.meta["entry_point"]),
        ]
        tests = item.meta.get("visible_tests") or []
        if tests:
            shown = "\n".join([item.meta.get("test_setup", ""), *tests]).strip()
            parts.append(load_prompt(self.name, "visible_tests").format(tests=shown))
        return "\n\n".join(parts)

    # Confidence and scoring: programs run in the sandbox, never in this process.

    def check(self, item: Item, texts: list[str]) -> Verdict:
        """Run every candidate against the visible tests; consensus 1.0 if any passes."""
        entry = item.meta["entry_point"]
        programs = [extract_program(t, entry) for t in texts]
        unique = list(dict.fromkeys(p for p in programs if p))  # run each distinct program once
        runs = run_many(
            [self._with_visible_tests(item, p) for p in unique],
            timeout=self.check_timeout, workers=self.workers, limits=self.limits,
        )
        outcome = dict(zip(unique, runs, strict=True))
        statuses = [outcome[p].status if p else "no_code" for p in programs]
        passing = [i for i, s in enumerate(statuses) if s == "passed"]

        if passing:
            chosen = random.Random(item.id).choice(passing)  # seeded: reruns pick the same
        else:
            with_code = [i for i, p in enumerate(programs) if p]
            chosen = with_code[0] if with_code else (0 if programs else None)
        details = {
            "statuses": statuses,
            "sandbox_mode": runs[0].mode if runs else sandbox_mode(),
            "gate": "visible_tests" if item.meta.get("visible_tests") else "smoke",
            "seconds": [round(outcome[p].seconds, 3) if p else 0.0 for p in programs],
        }
        logger.debug("code check %s: %s", item.id, statuses)
        return Verdict(
            consensus=1.0 if passing else 0.0,
            answer=programs[chosen] if chosen is not None else None,
            chosen=chosen,
            agreeing=passing,
            details=details,
        )

    def score(self, item: Item, prediction: Any) -> bool:
        """Whether ``prediction`` (a program, or a reply holding one) passes the hidden tests."""
        if not prediction:
            return False
        program = str(prediction)
        if "```" in program:
            program = extract_program(program, item.meta["entry_point"])
        source = f"{item.meta.get('program_prefix', '')}{program}\n\n{item.meta['hidden_tests']}"
        result = run_program(source, timeout=self.score_timeout, limits=self.limits)
        logger.debug("code score %s: %s", item.id, result.status)
        return result.passed

    def _with_visible_tests(self, item: Item, program: str) -> str:
        """Candidate plus visible tests, or plus a smoke test when the item has none."""
        tests = item.meta.get("visible_tests") or []
        entry = item.meta["entry_point"]
        checks = "\n".join([item.meta.get("test_setup", ""), *tests]) if tests else (
            f"assert callable({entry}), 'the program does not define {entry}'")
        return f"{item.meta.get('program_prefix', '')}{program}\n\n{checks}\n"
