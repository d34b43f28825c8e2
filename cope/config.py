"""Stages as data: a cascade is a list of stages, and the graph is built from that list.

The default is the paper's three-stage cascade. Baselines (one model alone, a cascade without
plans, the large model with a written plan) are other lists, built by the same builder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from cope.errors import CopeError

PlanKind = Literal["goal", "guideline"]
Comparison = Literal[">", ">="]


@dataclass(frozen=True)
class PlanSpec:
    """Who writes this stage's plan, and what kind.

    ``per_sample`` gives every executor sample its own plan (stage 1 goals); otherwise one
    plan is shared by all samples (stage 2 guideline).
    """

    role: str
    kind: PlanKind
    temperature: float = 0.8
    per_sample: bool = False
    max_tokens: int = 96


@dataclass(frozen=True)
class StageSpec:
    """One stage: plan, execute n samples, check confidence, accept or escalate.

    ``plan`` is a new plan, ``None`` for no new plan; ``reuse_guideline`` hands the executor
    the latest guideline written by an earlier stage; ``carry_goal`` hands it one goal from
    the previous stage, picked at random among those whose answer agreed with its majority.
    The last stage always accepts.
    """

    name: str
    executor: str
    samples: int = 1
    temperature: float = 0.0
    threshold: float = 0.0
    plan: PlanSpec | None = None
    reuse_guideline: bool = False
    carry_goal: bool = False


@dataclass(frozen=True)
class CascadeConfig:
    """An ordered list of stages plus how consensus is compared with a threshold.

    ``comparison`` ">" follows the paper's "exceeds": with n = 8, tau = 0.75 needs 7 of 8
    agreeing samples. ">=" accepts 6 of 8.
    """

    name: str
    stages: tuple[StageSpec, ...]
    comparison: Comparison = ">"
    seed: int = 0
    max_plan_tokens: int = 96
    description: str = ""

    def accepts(self, consensus: float, stage_index: int) -> bool:
        """Whether ``consensus`` passes stage ``stage_index`` (the last stage always does)."""
        if stage_index >= len(self.stages) - 1:
            return True
        tau = self.stages[stage_index].threshold
        return consensus >= tau if self.comparison == ">=" else consensus > tau

    def roles(self) -> set[str]:
        """Model roles this cascade calls."""
        out = {s.executor for s in self.stages}
        out |= {s.plan.role for s in self.stages if s.plan}
        return out

    def with_thresholds(self, thresholds: list[float]) -> CascadeConfig:
        """A copy with new thresholds for the first stages (calibration, sweeps)."""
        stages = list(self.stages)
        for i, tau in enumerate(thresholds):
            stages[i] = replace(stages[i], threshold=tau)
        return replace(self, stages=tuple(stages))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CascadeConfig:
        try:
            stages = []
            for s in data["stages"]:
                s = dict(s)
                if s.get("plan"):
                    s["plan"] = PlanSpec(**s["plan"])
                stages.append(StageSpec(**s))
            rest = {k: v for k, v in data.items() if k != "stages"}
            cfg = cls(stages=tuple(stages), **rest)
        except (KeyError, TypeError) as exc:
            raise CopeError(
                f"cascade config is malformed ({exc}); see configs/cope.json for the format"
            ) from exc
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if not self.stages:
            raise CopeError(f"cascade '{self.name}' has no stages; give at least one")
        if self.comparison not in (">", ">="):
            raise CopeError(f"comparison must be '>' or '>=', not {self.comparison!r}")
        for i, s in enumerate(self.stages):
            if s.samples < 1:
                raise CopeError(f"stage {s.name}: samples must be >= 1")
            if s.reuse_guideline and not any(
                p.plan and p.plan.kind == "guideline" for p in self.stages[:i]
            ):
                raise CopeError(f"stage {s.name} reuses a guideline no earlier stage writes")


def _paper_cascade() -> CascadeConfig:
    return CascadeConfig(
        name="cope",
        description="The paper's cascade: small goal+small, large guideline+small, large.",
        stages=(
            StageSpec(
                name="stage1",
                executor="small",
                samples=8,
                temperature=0.4,
                threshold=0.75,
                plan=PlanSpec(role="small", kind="goal", temperature=0.8, per_sample=True),
            ),
            StageSpec(
                name="stage2",
                executor="small",
                samples=8,
                temperature=0.8,
                threshold=0.5,
                plan=PlanSpec(role="large", kind="guideline", temperature=0.8),
                carry_goal=True,
            ),
            StageSpec(name="stage3", executor="large", samples=1, reuse_guideline=True),
        ),
    )


def _single(role: str) -> CascadeConfig:
    return CascadeConfig(
        name=f"{role}-only",
        description=f"Baseline: the {role} model alone, one greedy answer, no plan.",
        stages=(StageSpec(name=role, executor=role, samples=1),),
    )


def _no_plan_cascade() -> CascadeConfig:
    return CascadeConfig(
        name="no-plan-cascade",
        description="Baseline: small majority vote, escalate to one large answer; no plans.",
        stages=(
            StageSpec(name="small-vote", executor="small", samples=8, temperature=0.4,
                      threshold=0.75),
            StageSpec(name="large", executor="large", samples=1),
        ),
    )


def _large_planned() -> CascadeConfig:
    return CascadeConfig(
        name="large-plan",
        description="Baseline: the large model writes a guideline, then answers under it.",
        stages=(
            StageSpec(name="large", executor="large", samples=1,
                      plan=PlanSpec(role="large", kind="guideline", temperature=0.0)),
        ),
    )


PRESETS = {
    "cope": _paper_cascade,
    "small-only": lambda: _single("small"),
    "large-only": lambda: _single("large"),
    "no-plan-cascade": _no_plan_cascade,
    "large-plan": _large_planned,
}


def load_config(name_or_path: str) -> CascadeConfig:
    """A preset by name, or a JSON file with the same shape as ``CascadeConfig.to_dict()``."""
    if name_or_path in PRESETS:
        return PRESETS[name_or_path]()
    path = Path(name_or_path)
    if path.suffix == ".json" and path.is_file():
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise CopeError(f"{path} is not valid JSON ({exc})") from exc
        return CascadeConfig.from_dict(data)
    raise CopeError(
        f"unknown cascade {name_or_path!r}; use one of {', '.join(PRESETS)} "
        "or the path of a JSON config file"
    )
