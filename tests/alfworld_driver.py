"""Play the toy game in a child process: ``python -m tests.alfworld_driver DATA_DIR MODE``."""

from __future__ import annotations

import json
import sys

from cope.graph import CopeContext
from cope.runner import Runner
from cope.tasks import Item
from cope.tasks.alfworld import fewshot, session
from tests.alfworld_fakes import ToyGame, toy_engines

replayed: list[str] = []


class RecordingGame(ToyGame):
    def play(self, line):
        replayed.append(line)
        return super().play(line)


def main(data_dir: str, mode: str) -> None:
    session.Game = RecordingGame
    fewshot.examples_for = lambda task_type: "(examples)"
    small, large = toy_engines(crash_on_large=mode == "crash")
    runner = Runner("cope", CopeContext(engines={"small": small, "large": large}),
                    data_dir=data_dir)
    item = Item("toy-1", "take the key", gold=True,
                meta={"game_file": "toy", "task_type": "pick_and_place_simple"})
    result = runner.solve(item, "alfworld")
    print(json.dumps({"answer": result.answer, "resumed": result.resumed,
                      "small_calls": len(small.requests), "replayed": replayed[:-1]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
