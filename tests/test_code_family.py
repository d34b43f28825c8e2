"""Code family: program extraction, the visible/hidden split of the loaders, check and score."""

from __future__ import annotations

import pytest

from cope.benchmarks.code import docstring_tests, load_humaneval, load_mbpp
from cope.sandbox import run_many
from cope.tasks import get_family
from cope.tasks.base import Item
from cope.tasks.code import CodeFamily
from cope.tasks.code_extract import extract_program

FENCE = "```"


@pytest.fixture(scope="module")
def mbpp() -> list[Item]:
    return load_mbpp()


@pytest.fixture(scope="module")
def humaneval() -> list[Item]:
    return load_humaneval()


@pytest.fixture(scope="module")
def family() -> CodeFamily:
    return CodeFamily(check_timeout=10.0, score_timeout=20.0, workers=2)


# Extraction.

def test_extracts_single_fenced_block():
    reply = f"Here you go:\n{FENCE}python\ndef f(x):\n    return x + 1\n{FENCE}\nDone."
    assert extract_program(reply, "f") == "def f(x):\n    return x + 1\n"


def test_picks_the_block_that_defines_the_entry_point():
    reply = (f"{FENCE}python\nimport math\n{FENCE}\nThe solution:\n{FENCE}py\ndef g(n):\n"
             f"    return n * 2\n{FENCE}\nUsage:\n{FENCE}python\nprint(g(2))\n{FENCE}")
    assert extract_program(reply, "g") == "def g(n):\n    return n * 2\n"


def test_later_defining_block_wins_and_thinking_is_dropped():
    reply = (f"<think>draft:\n{FENCE}python\ndef h():\n    return 0\n{FENCE}</think>\n"
             f"{FENCE}python\ndef h():\n    return 1\n{FENCE}\nBetter:\n"
             f"{FENCE}python\ndef h():\n    return 2\n{FENCE}")
    assert extract_program(reply, "h") == "def h():\n    return 2\n"


def test_unfenced_code_and_prose_around_it():
    assert extract_program("def f():\n    return 3\n", "f") == "def f():\n    return 3\n"
    reply = "Sure, here it is.\ndef f(a):\n    return a * a\nThis squares the input."
    assert extract_program(reply, "f") == "def f(a):\n    return a * a\n"


def test_unterminated_fence_and_other_languages():
    cut = f"{FENCE}python\ndef k(s):\n    return s[::-1]\n"
    assert extract_program(cut, "k") == "def k(s):\n    return s[::-1]\n"
    mixed = f"{FENCE}text\nnot code\n{FENCE}\n{FENCE}python\nx = 1\n{FENCE}"
    assert extract_program(mixed) == "x = 1\n"


def test_no_code_gives_empty_program():
    assert extract_program("I cannot solve this.", "f") == ""
    assert extract_program("", "f") == ""


# Loaders: visible and hidden tests.

def test_mbpp_split(mbpp):
    assert len(mbpp) == 257
    assert len({item.id for item in mbpp}) == 257
    first = mbpp[0]
    assert first.id == "mbpp-11" and first.meta["entry_point"] == "remove_Occ"
    for item in mbpp:
        hidden = item.meta["hidden_tests"]
        assert len(item.meta["visible_tests"]) == 1
        assert item.meta["visible_tests"][0] in hidden
        assert hidden.count("assert") >= 3
        assert item.meta["entry_point"] in item.meta["visible_tests"][0]
    assert load_mbpp(limit=5) == mbpp[:5]


def test_humaneval_split(humaneval):
    assert len(humaneval) == 164
    with_tests = [i for i in humaneval if i.meta["visible_tests"]]
    assert 120 <= len(with_tests) < 164  # some prompts give no usable example
    for item in humaneval:
        assert item.meta["hidden_tests"].rstrip().endswith(f"check({item.meta['entry_point']})")
        assert item.meta["prompt_code"] == item.problem
        for test in item.meta["visible_tests"]:
            assert test.startswith("assert ") and item.meta["entry_point"] in test
    by_id = {i.id: i for i in humaneval}
    assert "def encode_cyclic" in by_id["humaneval-38"].meta["program_prefix"]
    assert by_id["humaneval-0"].meta["visible_tests"] == [
        "assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False",
        "assert has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3) == True",
    ]


def test_docstring_example_shapes():
    prompt = (
        "def f(xs):\n    \"\"\"Doc.\n    >>> f([1, 2])\n    3\n    >>> round(f([0.5]), 1)\n"
        "    0.5\n\n    f([5]) ➞ 5\n    f([]) should return 0.\n    f(n) = n + 1 if n is odd\n"
        "    f(['a']) => true\n    \"\"\"\n"
    )
    assert docstring_tests(prompt, "f") == [
        "assert f([1, 2]) == 3", "assert abs(round(f([0.5]), 1) - 0.5) < 1e-6",
        "assert f([5]) == 5", "assert f([]) == 0", "assert f(['a']) == True",
    ]
    assert docstring_tests("def g(x):\n    \"\"\"No examples.\"\"\"\n", "g") == []


def test_reference_solutions_pass_visible_and_hidden_tests(family, humaneval, mbpp):
    """Every visible test must hold for the reference, else the gate rejects correct code."""
    items = humaneval + mbpp[:40]
    programs = [family._with_visible_tests(i, i.gold) for i in items]
    programs += [i.meta["program_prefix"] + i.gold + "\n" + i.meta["hidden_tests"]
                 for i in items[::8]]
    results = run_many(programs, timeout=20, workers=2)
    failed = [r.stderr[-300:] for r in results if not r.passed]
    assert not failed, failed[:3]


def test_prompts_never_contain_hidden_tests_or_reference(family, mbpp, humaneval):
    for item in mbpp + humaneval:
        messages = family.planner_messages(item, "goal") + family.planner_messages(
            item, "guideline") + family.executor_messages(item, "a goal", "a guideline")
        shown = "\n".join(m["content"] for m in messages)
        hidden = item.meta["hidden_tests"]
        visible = set(item.meta["visible_tests"])
        secret = [line for line in hidden.splitlines()
                  if line.strip().startswith("assert") and line.strip() not in visible]
        assert secret, item.id
        assert not any(line.strip() in shown for line in secret), item.id
        assert "def check(" not in shown and item.gold not in shown, item.id
        assert item.meta["entry_point"] in shown


# check() and score().

def _reply(code: str) -> str:
    """A model reply that wraps ``code`` in a fenced block with some prose."""
    return f"Here is my solution.\n{FENCE}python\n{code}{FENCE}\n"


def test_check_with_one_passing_candidate(family, mbpp):
    item = mbpp[0]  # remove_Occ("hello","l") == "heo"
    wrong = _reply("def remove_Occ(s, ch):\n    return s\n")
    right = _reply(item.gold + "\n")
    verdict = family.check(item, [wrong, "no code at all", right, wrong])
    assert verdict.consensus == 1.0
    assert verdict.agreeing == [2] and verdict.chosen == 2
    assert verdict.answer == extract_program(right, "remove_Occ")
    assert verdict.details["statuses"] == ["failed", "no_code", "passed", "failed"]
    assert verdict.details["sandbox_mode"] in ("bwrap", "rlimit")
    assert family.score(item, verdict.answer)


def test_check_with_no_passing_candidate(family, mbpp):
    item = mbpp[0]
    first = _reply("def remove_Occ(s, ch):\n    return s\n")
    verdict = family.check(item, ["nothing", first, _reply("def other():\n    pass\n")])
    assert verdict.consensus == 0.0 and verdict.agreeing == []
    assert verdict.chosen == 1 and verdict.answer == extract_program(first)
    assert not family.score(item, verdict.answer)


def test_choice_among_passing_is_seeded_by_item(family, mbpp):
    item = mbpp[0]
    variants = [_reply(item.gold + f"\n_variant = {k}\n") for k in range(4)]
    picks = {family.check(item, variants).chosen for _ in range(3)}
    assert len(picks) == 1 and picks <= {0, 1, 2, 3}


def test_smoke_gate_without_visible_tests(family, humaneval):
    item = next(i for i in humaneval if not i.meta["visible_tests"])
    entry = item.meta["entry_point"]
    defines = _reply(f"def {entry}(*args):\n    return None\n")
    verdict = family.check(item, [_reply("x = 1\n"), defines])
    assert verdict.details["gate"] == "smoke"
    assert verdict.agreeing == [1]
    assert not family.score(item, verdict.answer)  # the hidden tests still catch it


def test_score_uses_hidden_tests_not_visible_ones(family, mbpp, humaneval):
    item = mbpp[0]
    overfit = "def remove_Occ(s, ch):\n    return 'heo'\n"  # passes only the shown assert
    assert family.check(item, [_reply(overfit)]).consensus == 1.0
    assert not family.score(item, overfit)
    assert family.score(item, _reply(item.gold + "\n"))
    assert not family.score(item, None) and not family.score(item, "")
    he = humaneval[0]
    assert family.score(he, he.gold)
    assert not family.score(he, he.problem + "    return False\n")


def test_registry_and_round_trip(mbpp):
    assert isinstance(get_family("code"), CodeFamily)
    item = Item.from_dict(mbpp[3].to_dict())
    assert item == mbpp[3]
