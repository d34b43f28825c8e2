"""The cascade's state: what each node reads and writes, all plain JSON-able data."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


class Usage(TypedDict):
    """Tokens one node spent on one model."""

    stage: str
    role: str  # "planner" or "executor"
    model_role: str  # "small", "large", ...
    model: str
    input_tokens: int
    output_tokens: int
    calls: int


class StageRecord(TypedDict):
    """What one stage saw and decided."""

    stage: str
    plans: list[str]
    answers: list[Any]
    consensus: float
    accepted: bool
    answer: Any


class CopeInput(TypedDict):
    """What a caller gives: the problem and its family."""

    problem: str
    task: str
    item: dict[str, Any]  # Item.to_dict() without gold; {"id", "problem", "meta"}


class CopeState(CopeInput, total=False):
    """Full state. ``usage`` and ``stages`` only grow (reducer: list concatenation)."""

    stage_index: int
    goals: list[str]  # one per sample when the planner writes per-sample goals
    guideline: str | None  # the latest guideline, reused by later stages
    carried_goal: str | None
    candidates: list[str]  # raw executor outputs of the current stage
    stages: Annotated[list[StageRecord], operator.add]
    usage: Annotated[list[Usage], operator.add]
    answer: Any
    final_stage: str
    consensus: float


class CopeOutput(TypedDict, total=False):
    """What a caller gets back."""

    answer: Any
    final_stage: str
    consensus: float
    stages: list[StageRecord]
    usage: list[Usage]
