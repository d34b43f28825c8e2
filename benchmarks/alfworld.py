"""ALFWorld valid_unseen games as benchmark items (the game engine runs inside the graph)."""

from __future__ import annotations

from cope.tasks.base import Item


def load_alfworld(limit: int | None = None) -> list[Item]:
    """The first ``limit`` of the 134 games; the problem text is the game's task."""
    from cope.tasks.alfworld.env import load_games

    return [
        Item(id=f"alfworld-{i}-{g.task_type}", problem=g.goal, gold=True,
             meta={"game_file": str(g.game_file), "task_type": g.task_type})
        for i, g in enumerate(load_games(limit=limit))
    ]
