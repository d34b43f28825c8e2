"""ReAct's solved example games, two per task type, read from the data folder's prompts file.

The file (from the ReAct authors, MIT licence) keys each example ``react_<kind>_<n>``. A game's
task type picks the kind by its prefix; like the ReAct evaluation, a prompt shows example 1
and then example 0 of that kind.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

from cope.errors import CopeError
from cope.tasks.alfworld.env import resolve_data_dir

PROMPTS_FILE = Path("prompts") / "alfworld_3prompts.json"

# Task-type prefix (as in the game folder names) -> the example kind in the prompts file.
KIND_BY_PREFIX = {
    "pick_and_place": "put",
    "pick_clean_then_place": "clean",
    "pick_heat_then_place": "heat",
    "pick_cool_then_place": "cool",
    "look_at_obj": "examine",
    "pick_two_obj": "puttwo",
}
EXAMPLE_ORDER = (1, 0)


def example_kind(task_type: str) -> str:
    """The example kind ("put", "clean", ...) for an ALFWorld task type."""
    for prefix, kind in KIND_BY_PREFIX.items():
        if task_type.startswith(prefix):
            return kind
    raise CopeError(
        f"unknown ALFWorld task type {task_type!r}; expected one starting with "
        f"{', '.join(KIND_BY_PREFIX)}"
    )


@cache
def _prompts(folder: Path) -> dict[str, str]:
    path = folder / PROMPTS_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CopeError(f"ReAct examples not found at {path}; copy prompts/ into the "
                        "ALFWorld data folder") from exc
    except json.JSONDecodeError as exc:
        raise CopeError(f"{path} is not valid JSON ({exc}); restore it") from exc


def examples(task_type: str, data_dir: str | os.PathLike | None = None,
             style: str = "react") -> list[str]:
    """The two solved games for ``task_type``, each ending with a newline.

    ``style`` "react" gives games with thoughts; "act" the same games with commands only.
    """
    prompts = _prompts(resolve_data_dir(data_dir))
    kind = example_kind(task_type)
    keys = [f"{style}_{kind}_{n}" for n in EXAMPLE_ORDER]
    missing = [k for k in keys if k not in prompts]
    if missing:
        raise CopeError(f"the ReAct prompts file lacks {', '.join(missing)}; restore it")
    return [prompts[k].strip("\n") + "\n" for k in keys]


def examples_for(task_type: str, data_dir: str | os.PathLike | None = None) -> str:
    """The two ReAct examples for ``task_type`` as one block of text, a blank line between."""
    return "\n".join(examples(task_type, data_dir))
