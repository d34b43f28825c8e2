"""ALFWorld valid_unseen games as benchmark items (the game engine runs inside the graph)."""

from __future__ import annotations

from itertools import chain, zip_longest

from cope.tasks.base import Item


def load_alfworld(limit: int | None = None) -> list[Item]:
    """``limit`` of the 134 games, taken in turn from each task type; the problem is the task.

    The index lists games grouped by task type, so its first ten are all one type. Taking
    them in turn (first game of each type, then the second of each, ...) lets a short run
    cover all six types. An item's id keeps the game's position in the index.
    """
    from cope.tasks.alfworld.env import load_games

    by_type: dict[str, list[tuple[int, object]]] = {}
    for i, game in enumerate(load_games()):
        by_type.setdefault(game.task_type, []).append((i, game))
    in_turn = [pair for pair in chain(*zip_longest(*by_type.values())) if pair is not None]
    return [
        Item(id=f"alfworld-{i}-{g.task_type}", problem=g.goal, gold=True,
             meta={"game_file": str(g.game_file), "task_type": g.task_type})
        for i, g in in_turn[:limit]
    ]
