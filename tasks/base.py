"""The small protocol a task family implements to plug into the cascade."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from cope.models.base import Message

PlanKind = Literal["goal", "guideline"]


@dataclass
class Item:
    """One problem. ``meta`` carries what the family needs (visible tests, ...).

    ``gold`` and anything hidden from the models stay out of prompts; the graph never
    reads them, only ``TaskFamily.score`` does.
    """

    id: str
    problem: str
    gold: Any = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        return cls(**data)


@dataclass
class Verdict:
    """A confidence check over one stage's candidates.

    ``consensus`` is the score compared with the stage threshold (math: share of the largest
    group of equivalent answers; code: 1.0 when some program passes the visible tests).
    ``agreeing`` lists the candidates that back ``answer``; the next stage draws its carried
    goal from them.
    """

    consensus: float
    answer: Any
    chosen: int | None
    agreeing: list[int] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


class TaskFamily(Protocol):
    """Prompts, confidence and scoring for one kind of task."""

    name: str
    max_tokens: int  # executor budget per candidate

    def planner_messages(self, item: Item, kind: PlanKind) -> list[Message]:
        """Messages asking a planner for a goal or a guideline for ``item``."""
        ...

    def executor_messages(
        self, item: Item, goal: str | None, guideline: str | None
    ) -> list[Message]:
        """Messages asking an executor to solve ``item`` under the given plan(s)."""
        ...

    def check(self, item: Item, texts: list[str]) -> Verdict:
        """Judge one stage's candidate outputs: consensus, chosen answer, agreeing samples."""
        ...

    def score(self, item: Item, prediction: Any) -> bool:
        """Whether the final prediction is right (gold answer, hidden tests)."""
        ...
