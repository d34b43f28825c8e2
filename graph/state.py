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


class Step(TypedDict):
    """One line of an ALFWorld episode and how the cascade decided it."""

    line: str  # "> think: ..." or "> go to desk 1"
    observation: str
    stage: str
    consensus: float


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
    trajectory: list[Step]  # ALFWorld: the episode's lines
    steps_per_stage: dict[str, int]  # ALFWorld: lines decided at each stage


class CopeOutput(TypedDict, total=False):
    """What a caller gets back."""

    answer: Any
    final_stage: str
    consensus: float
    stages: list[StageRecord]
    usage: list[Usage]
    steps_per_stage: dict[str, int]
    trajectory: list[Step]


class EpisodeState(CopeInput, total=False):
    """State of the ALFWorld ReAct subgraph (shares problem/task/item/usage with the parent)."""

    observation: str  # the game's opening text: room and task
    admissible: list[str]
    trajectory: list[Step]
    goal: str | None
    guideline: str | None
    proposals: list[str]
    chosen: str | None  # line chosen by the last vote
    step_lines: list[str | None]  # this line's proposals so far, normalised, all stages
    step_stage: str
    step_consensus: float
    won: bool
    done: bool
    usage: Annotated[list[Usage], operator.add]
    stages: Annotated[list[StageRecord], operator.add]
    answer: Any
    final_stage: str
    consensus: float
    steps_per_stage: dict[str, int]
