"""Stages as data: a cascade is a list of stages, and the graph is built from that list.

The default is the paper's three-stage cascade. Baselines (one model alone, a cascade without
plans, the large model with a written plan) are other lists, built by the same builder.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from cope.errors import CopeError

PlanKind = Literal["goal", "guideline"]
Comparison = Literal[">", ">="]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # graph node names and result folder names


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
        except (KeyError, TypeError, ValueError) as exc:
            raise CopeError(
                f"cascade config is malformed ({exc!r}); see configs/cope.json for the format"
            ) from exc
        cfg.validate()
        return cfg

    def validate(self) -> None:
        """Raise CopeError naming the first field that is wrong and what it should be."""
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise CopeError(f"cascade name {self.name!r} must be letters, digits, '_', '-', '.'")
        if not self.stages:
            raise CopeError(f"cascade '{self.name}' has no stages; give at least one")
        if self.comparison not in (">", ">="):
            raise CopeError(f"comparison must be '>' or '>=', not {self.comparison!r}")
        names = [s.name for s in self.stages]
        for i, s in enumerate(self.stages):
            _check_stage(s)
            if names.count(s.name) > 1:
                raise CopeError(f"two stages are named {s.name!r}; give each stage its own name")
            if s.reuse_guideline and not any(
                p.plan and p.plan.kind == "guideline" for p in self.stages[:i]
            ):
                raise CopeError(f"stage {s.name} reuses a guideline no earlier stage writes")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_stage(s: StageSpec) -> None:
    """Types and ranges of one stage's fields (JSON configs arrive untyped)."""
    where = f"stage {s.name!r}"
    if not isinstance(s.name, str) or not _NAME.fullmatch(s.name):
        raise CopeError(f"{where}: a stage name must be letters, digits, '_', '-', '.'")
    if not isinstance(s.executor, str) or not s.executor:
        raise CopeError(f"{where}: executor must name a model role such as \"small\"")
    if not isinstance(s.samples, int) or isinstance(s.samples, bool) or s.samples < 1:
        raise CopeError(f"{where}: samples must be a whole number >= 1, not {s.samples!r}")
    if not _is_number(s.threshold) or not 0 <= s.threshold <= 1:
        raise CopeError(f"{where}: threshold must be a number from 0 to 1, not {s.threshold!r}")
    if not _is_number(s.temperature) or s.temperature < 0:
        raise CopeError(f"{where}: temperature must be a number >= 0, not {s.temperature!r}")
    if s.plan is not None:
        if s.plan.kind not in ("goal", "guideline"):
            raise CopeError(f"{where}: plan kind must be \"goal\" or \"guideline\", "
                            f"not {s.plan.kind!r}")
        if not isinstance(s.plan.role, str) or not s.plan.role:
            raise CopeError(f"{where}: plan role must name a model role such as \"large\"")
        if not _is_number(s.plan.temperature) or s.plan.temperature < 0:
            raise CopeError(f"{where}: plan temperature must be a number >= 0")
        if not isinstance(s.plan.max_tokens, int) or s.plan.max_tokens < 1:
            raise CopeError(f"{where}: plan max_tokens must be a whole number >= 1")


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
    if path.suffix == ".json":
        if not path.is_file():
            raise CopeError(f"cascade file {path} not found; check the path")
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CopeError(f"{path} is not a readable JSON file ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("stages"), list):
            raise CopeError(f"{path} needs an object with a \"stages\" list; "
                            "see configs/cope.json for the format")
        if any(not isinstance(st, dict) or not isinstance(st.get("plan") or {}, dict)
               for st in data["stages"]):
            raise CopeError(f"{path}: each stage (and its plan) must be a JSON object; "
                            "see configs/cope.json")
        return CascadeConfig.from_dict(data)
    raise CopeError(
        f"unknown cascade {name_or_path!r}; use one of {', '.join(PRESETS)} "
        "or the path of a JSON config file"
    )
