"""One ALFWorld game on the real TextWorld engine, with observations as ReAct shows them.

The games are ALFWorld's v0.3-era ``game.tw-pddl`` files. Each one is self-contained: it holds
its PDDL domain, its text grammar and its problem, so no separate logic files are needed.
TextWorld's PDDL backend plays it; ALFWorld's demangler turns engine ids into names such as
"cabinet 3". Observations are shaped like those in the ReAct paper's prompts: the welcome
banner is dropped and the "You arrive at loc N. " prefix of movement replies is removed.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cope.errors import CopeError

log = logging.getLogger(__name__)

DATA_ENV_VAR = "COPE_ALFWORLD_DATA"
INDEX_FILE = "valid_unseen_134_index.jsonl"
_REPO_DATA = Path(__file__).resolve().parents[2] / "data" / "alfworld"
_ARRIVAL = re.compile(r"^You arrive at loc \d+\. ")
_INSTALL_HINT = "install the ALFWorld engine with scripts/install_alfworld.sh"


@dataclass(frozen=True)
class GameSpec:
    """One game of the index: where its file lies, its task and an expert walkthrough.

    The walkthrough comes from ALFWorld v0.4, which says "move X to Y" where these v0.3 games
    want "put X in/on Y"; ``actions.normalise`` maps one to the other.
    """

    id: str
    task_type: str
    game_file: Path
    goal: str
    walkthrough: tuple[str, ...]


def resolve_data_dir(path: str | os.PathLike | None = None) -> Path:
    """The ALFWorld data folder: ``path``, else $COPE_ALFWORLD_DATA, else the repo's copy."""
    chosen = Path(path or os.environ.get(DATA_ENV_VAR) or _REPO_DATA).expanduser()
    if not (chosen / INDEX_FILE).is_file():
        raise CopeError(
            f"ALFWorld data not found: {chosen / INDEX_FILE} is missing. Put the folder "
            f"(game files, {INDEX_FILE}, prompts/) at {_REPO_DATA}, or point "
            f"{DATA_ENV_VAR} at where it is"
        )
    return chosen


def load_games(limit: int | None = None, data_dir: str | os.PathLike | None = None
               ) -> list[GameSpec]:
    """The games listed in the index, in index order, the first ``limit`` of them if given."""
    root = resolve_data_dir(data_dir)
    games = []
    with open(root / INDEX_FILE, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rel = Path(row["game_file"])
                spec = GameSpec(
                    id=f"{rel.parent.parent.name}/{row['task_id']}",
                    task_type=row["task_type"],
                    game_file=root / rel,
                    goal=row["goal"],
                    walkthrough=tuple(row.get("walkthrough_v04") or ()),
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise CopeError(
                    f"{root / INDEX_FILE} line {number} is malformed ({exc}); restore the "
                    "index from the ALFWorld data folder"
                ) from exc
            games.append(spec)
            if limit is not None and len(games) >= limit:
                break
    return games


def shape_observation(text: str, first: bool = False) -> str:
    """The engine's reply as the ReAct prompts show it.

    The first observation loses the "-= Welcome to TextWorld, ALFRED! =-" banner and keeps
    the room and the task on two lines; later ones lose the "You arrive at loc N. " prefix.
    """
    text = text.strip()
    if first:
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        if paragraphs and paragraphs[0].startswith("-="):
            paragraphs = paragraphs[1:]
        return "\n".join(paragraphs)
    return _ARRIVAL.sub("", text)


class AlfworldEnv:
    """One game on TextWorld: ``reset`` starts (or restarts) it, ``step`` plays one command.

    A command the game does not accept gets "Nothing happens." and changes nothing. The
    engine keeps no step limit; the caller enforces ReAct's budget of actions.
    """

    def __init__(self, game_file: str | os.PathLike):
        self.game_file = Path(game_file)
        if not self.game_file.is_file():
            raise CopeError(
                f"ALFWorld game file not found: {self.game_file}; check the data folder "
                f"({DATA_ENV_VAR}) holds json_2.1.1/valid_unseen/"
            )
        self._env: Any = None
        self.admissible: list[str] = []
        self.won = False
        self.done = False
        self.steps = 0

    def _start(self) -> Any:
        try:
            import textworld
            from alfworld.agents.environment.alfred_tw_env import AlfredDemangler
        except ImportError as exc:
            raise CopeError(f"the ALFWorld engine is not installed ({exc}); "
                            f"{_INSTALL_HINT}") from exc

        wanted = textworld.EnvInfos(admissible_commands=True, won=True, lost=True)
        return textworld.start(str(self.game_file), request_infos=wanted,
                               wrappers=[AlfredDemangler()])

    def reset(self) -> tuple[str, dict[str, Any]]:
        """Start the game; return the first observation and facts about the episode.

        ``info`` has ``admissible_commands``, ``task`` (the "Your task is to: ..." line),
        ``goal`` (the task without that lead-in) and ``game_file``.
        """
        if self._env is None:
            self._env = self._start()
        state = self._env.reset()
        observation = shape_observation(state.feedback, first=True)
        self._update(state)
        self.steps = 0
        task = next((ln for ln in observation.splitlines() if ln.startswith("Your task is to")),
                    "")
        info = {
            "admissible_commands": list(self.admissible),
            "task": task,
            "goal": task.removeprefix("Your task is to:").strip(),
            "game_file": str(self.game_file),
        }
        log.debug("reset %s: %s", self.game_file.parent.name, task)
        return observation, info

    def step(self, action: str) -> tuple[str, bool, bool, list[str]]:
        """Play one command; return the observation, won, done and the new admissible list."""
        if self._env is None:
            raise RuntimeError("AlfworldEnv.step called before reset()")
        state, _score, _done = self._env.step(action.strip())
        self.steps += 1
        self._update(state)
        return shape_observation(state.feedback), self.won, self.done, list(self.admissible)

    def _update(self, state: Any) -> None:
        self.admissible = list(state["admissible_commands"] or [])
        self.won = bool(state["won"])
        self.done = self.won or bool(state["lost"])

    def close(self) -> None:
        """Release the engine."""
        if self._env is not None:
            self._env.close()
            self._env = None

    def __enter__(self) -> AlfworldEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def replay_walkthrough(spec: GameSpec) -> dict[str, Any]:
    """Play a game's expert walkthrough; a check that the data and the engine agree.

    Returns the game id, whether it was won, the steps played and the first command the
    action layer could not map to an admissible one (``None`` when all mapped).
    """
    from cope.tasks.alfworld.actions import normalise

    with AlfworldEnv(spec.game_file) as env:
        _, info = env.reset()
        admissible, won, unmapped = info["admissible_commands"], False, None
        for step in spec.walkthrough:
            command = normalise(step, admissible)
            if command is None or command not in admissible:
                unmapped = step
                break
            _, won, done, admissible = env.step(command)
            if done:
                break
        return {"id": spec.id, "won": won, "steps": env.steps, "unmapped": unmapped}
