"""The cost ledger: tokens by model and role, USD from the price table, plan/answer split."""

from __future__ import annotations

import json
import logging

import pytest

from cope.errors import CopeError
from cope.ledger import PriceTable, summarize


def _usage(role: str, model_role: str, model: str, tokens_in: int, tokens_out: int) -> dict:
    return {"stage": "s", "role": role, "model_role": model_role, "model": model,
            "input_tokens": tokens_in, "output_tokens": tokens_out, "calls": 1}


def test_plan_and_answer_costs_add_up_and_local_models_are_free():
    prices = PriceTable.load()
    usage = [
        _usage("planner", "small", "qwen2.5-coder-0.5b", 500, 80),
        _usage("planner", "large", "openai:gpt-4o-mini", 1_000_000, 0),
        _usage("executor", "large", "openai:gpt-4o-mini", 0, 1_000_000),
    ]
    out = summarize(usage, prices)
    assert out["cost_plan_usd"] == pytest.approx(0.15)
    assert out["cost_answer_usd"] == pytest.approx(0.60)
    assert out["cost_usd"] == pytest.approx(0.75)
    assert out["large_tokens"] == {"input": 1_000_000, "output": 1_000_000}
    assert out["tokens_by_role"]["small/planner"] == {"input": 500, "output": 80}


def test_a_local_stand_in_can_be_priced_like_an_api_model():
    prices = PriceTable.load(price_as={"qwen2.5-coder-1.5b": "gpt-4o"})
    assert prices.cost("qwen2.5-coder-1.5b", 1_000_000, 1_000_000) == pytest.approx(12.5)
    assert prices.cost("qwen2.5-coder-0.5b", 1_000_000, 1_000_000) == 0.0


def test_price_file_overrides_and_bad_file_names_the_format(tmp_path):
    good = tmp_path / "prices.json"
    good.write_text(json.dumps({"my-model": [1.0, 2.0]}))
    prices = PriceTable.load(good)
    assert prices.cost("openai:my-model", 1_000_000, 1_000_000) == pytest.approx(3.0)
    assert str(good) in prices.as_of

    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    with pytest.raises(CopeError, match="USD per 1M tokens"):
        PriceTable.load(bad)


def test_unpriced_remote_model_warns_once(caplog):
    prices = PriceTable.load()
    with caplog.at_level(logging.WARNING, logger="cope.ledger"):
        assert prices.cost("openai:brand-new-model", 1000, 1000) == 0.0
        prices.cost("openai:brand-new-model", 1000, 1000)
    warnings = [r for r in caplog.records if "brand-new-model" in r.getMessage()]
    assert len(warnings) == 1 and "--prices" in warnings[0].getMessage()


def test_bad_price_entries_and_unknown_price_as_are_named(tmp_path):
    short = tmp_path / "short.json"
    short.write_text(json.dumps({"gpt-x": [1]}))
    with pytest.raises(CopeError, match="'gpt-x' has \\[1\\]"):
        PriceTable.load(short)
    with pytest.raises(CopeError, match="no list price for it"):
        PriceTable.load(price_as={"qwen2.5-coder-1.5b": "gpt-99"})
