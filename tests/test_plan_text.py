"""How a planner's raw text becomes the plan the executor sees."""

from __future__ import annotations

from cope.nodes.plan import clean_plan


def test_one_paragraph_plan_is_kept_whole_and_what_follows_is_dropped():
    text = "Find the eggs left, then\nmultiply by the price.\n\nStep 1: 16 - 3 - 4 = 9 ..."
    assert clean_plan(text) == "Find the eggs left, then multiply by the price."


def test_a_plan_that_introduces_a_list_keeps_the_list():
    # Seen with Qwen2.5-Coder-1.5B: the first paragraph alone would be an empty promise.
    text = ("To find the meters James runs a week, we need to follow these steps:\n\n"
            "1. Meters per sprint times sprints per session.\n2. Times sessions per week.\n\n"
            "So the answer is 540.")
    assert clean_plan(text) == (
        "To find the meters James runs a week, we need to follow these steps: "
        "1. Meters per sprint times sprints per session. 2. Times sessions per week.")


def test_empty_text_gives_an_empty_plan():
    assert clean_plan("  \n\n ") == ""
