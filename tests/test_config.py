"""Cascade configs: the shipped JSON files load, and a wrong field is named in one message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cope.config import load_config
from cope.errors import CopeError
from cope.graph import compile_graph

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_cope_json_is_the_paper_preset():
    assert load_config(str(ROOT / "configs" / "cope.json")) == load_config("cope")


def test_four_stage_example_builds_a_graph_with_four_checks():
    config = load_config(str(ROOT / "configs" / "cope-4stage.json"))
    nodes = compile_graph(config).get_graph().nodes
    assert sum(n.endswith("_check_confidence") for n in nodes) == 4


def _write(tmp_path: Path, stages) -> str:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"name": "c", "stages": stages}))
    return str(path)


STAGE = {"name": "s1", "executor": "small", "samples": 8, "threshold": 0.5}


@pytest.mark.parametrize(("change", "phrase"), [
    ({"samples": "8"}, "samples must be a whole number"),
    ({"samples": 0}, "samples must be a whole number"),
    ({"threshold": 1.5}, "threshold must be a number from 0 to 1"),
    ({"threshold": "0.5"}, "threshold must be a number from 0 to 1"),
    ({"temperature": -1}, "temperature must be a number >= 0"),
    ({"name": "../../etc"}, "stage name must be letters"),
    ({"plan": {"role": "large", "kind": "recipe"}}, 'plan kind must be "goal" or "guideline"'),
    ({"colour": "red"}, "malformed"),
])
def test_a_wrong_stage_field_is_named(tmp_path, change, phrase):
    with pytest.raises(CopeError, match=phrase):
        load_config(_write(tmp_path, [STAGE | change]))


def test_shape_errors_are_clear(tmp_path):
    with pytest.raises(CopeError, match="must be a JSON object"):
        load_config(_write(tmp_path, ["abc"]))
    with pytest.raises(CopeError, match="two stages are named"):
        load_config(_write(tmp_path, [STAGE, STAGE]))
    with pytest.raises(CopeError, match="not found"):
        load_config(str(tmp_path / "missing.json"))
    (tmp_path / "list.json").write_text("[1]")
    with pytest.raises(CopeError, match='"stages" list'):
        load_config(str(tmp_path / "list.json"))
