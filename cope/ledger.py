"""Cost ledger: tokens per model and role, priced from a table; local models are free.

A bundled local model standing in for a paid one (the offline "large") can be priced as a
named API model with ``price_as``, so offline runs still show what the bill would be.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cope.errors import CopeError

log = logging.getLogger(__name__)


@dataclass
class PriceTable:
    """USD per million tokens, [input, output], by model name."""

    prices: dict[str, tuple[float, float]]
    as_of: str = ""
    price_as: dict[str, str] = field(default_factory=dict)  # model -> priced like this model
    unpriced: set[str] = field(default_factory=set)  # remote models warned about once

    @classmethod
    def load(cls, path: str | Path | None = None, price_as: dict[str, str] | None = None):
        """The bundled table, updated by a JSON file (``path`` or $COPE_PRICES) if given."""
        data = json.loads(resources.files("cope").joinpath("prices.json").read_text())
        table = {k: tuple(v) for k, v in data["usd_per_million"].items()}
        as_of = data["as_of"]
        extra = path or os.environ.get("COPE_PRICES")
        if extra:
            fix = ('it must map model names to [input, output] USD per 1M tokens, '
                   'e.g. {"my-model": [0.5, 1.5]}')
            try:
                override = json.loads(Path(extra).read_text())
                entries = override.get("usd_per_million", override).items()
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                raise CopeError(f"price file {extra} is unreadable ({exc}); {fix}") from exc
            for name, pair in entries:
                if not (isinstance(pair, list) and len(pair) == 2 and all(
                        isinstance(x, int | float) and not isinstance(x, bool) and x >= 0
                        for x in pair)):
                    raise CopeError(f"price file {extra}: {name!r} has {pair!r}; {fix}")
                table[name] = (float(pair[0]), float(pair[1]))
            as_of += f" + {extra}"
        for model, like in (price_as or {}).items():
            if like not in table:
                raise CopeError(
                    f"cannot price {model} as {like!r}: no list price for it; choose one of "
                    f"{', '.join(sorted(table))}, or add it with --prices FILE"
                )
        return cls(table, as_of, dict(price_as or {}))

    def per_million(self, model: str) -> tuple[float, float]:
        """[input, output] USD per 1M tokens; local models cost 0.

        A remote (``openai:``) model missing from the table also counts as 0, with one warning:
        a bill shown as $0 for a paid model must not go unnoticed.
        """
        model = self.price_as.get(model, model)
        remote = model.startswith("openai:")
        name = model.split(":", 1)[1] if remote else model
        if remote and name not in self.prices and model not in self.unpriced:
            self.unpriced.add(model)
            log.warning(
                "no list price for %s: its tokens are counted but cost $0; give its price with "
                '--prices FILE (JSON: {"%s": [usd_in_per_1M, usd_out_per_1M]})', model, name,
            )
        return self.prices.get(name, (0.0, 0.0))

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        p_in, p_out = self.per_million(model)
        return (input_tokens * p_in + output_tokens * p_out) / 1e6


def summarize(usage: list[dict[str, Any]], prices: PriceTable) -> dict[str, Any]:
    """Tokens by model and by (model role, node role), cost in USD, and the plan/answer split."""
    by_model: dict[str, dict[str, int]] = defaultdict(lambda: {"input": 0, "output": 0})
    by_role: dict[str, dict[str, int]] = defaultdict(lambda: {"input": 0, "output": 0})
    cost = {"planner": 0.0, "executor": 0.0}
    calls = defaultdict(int)
    for u in usage:
        for bucket in (by_model[u["model"]], by_role[f"{u['model_role']}/{u['role']}"]):
            bucket["input"] += u["input_tokens"]
            bucket["output"] += u["output_tokens"]
        cost[u["role"]] += prices.cost(u["model"], u["input_tokens"], u["output_tokens"])
        calls[f"{u['model_role']}/{u['role']}"] += u["calls"]
    large = {"input": 0, "output": 0}
    for key, t in by_role.items():
        if key.startswith("large/"):
            large["input"] += t["input"]
            large["output"] += t["output"]
    return {
        "tokens_by_model": dict(by_model),
        "tokens_by_role": dict(by_role),
        "calls_by_role": dict(calls),
        "large_tokens": large,
        "cost_usd": cost["planner"] + cost["executor"],
        "cost_plan_usd": cost["planner"],
        "cost_answer_usd": cost["executor"],
    }
