"""Live games, one per episode, kept outside the graph state (a game is not serialisable).

The state holds the lines played; a game that is missing here (a new process resuming from a
checkpoint) or out of step with the state is rebuilt by resetting it and replaying those lines.
The engine is deterministic, so the replayed game is the one the checkpoint describes.
"""

from __future__ import annotations

import threading
from typing import Any

_games: dict[str, Game] = {}
_lock = threading.Lock()


class Game:
    """One ALFWorld game and the lines played in it so far."""

    def __init__(self, game_file: str):
        from cope.tasks.alfworld.env import AlfworldEnv

        self.env = AlfworldEnv(game_file)
        self.first_observation, info = self.env.reset()
        self.admissible: list[str] = list(info["admissible_commands"])
        self.lines: list[str] = []

    def play(self, line: str) -> tuple[str, bool, bool]:
        """Play one line; thoughts get "OK." and leave the game unchanged."""
        self.lines.append(line)
        if line.lower().startswith("think"):
            return "OK.", False, False
        observation, won, done, admissible = self.env.step(line)
        self.admissible = list(admissible)
        return observation, won, done

    def close(self) -> None:
        self.env.close()


def _raw(line: str) -> str:
    return line[2:] if line.startswith("> ") else line


def open_game(key: str, item: dict[str, Any], played: list[str]) -> Game:
    """The live game for ``key``, rebuilt from ``played`` lines when needed."""
    played = [_raw(line) for line in played]
    with _lock:
        game = _games.get(key)
        if game is None or game.lines != played:
            game = Game(item["meta"]["game_file"])
            for line in played:
                game.play(line)
            _games[key] = game
        return game


def close_game(key: str) -> None:
    with _lock:
        game = _games.pop(key, None)
    if game is not None:
        game.close()
