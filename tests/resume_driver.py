"""Run one problem in a child process: ``python -m tests.resume_driver DATA_DIR MODE``.

MODE "crash": the large model kills the process the moment stage 2 asks it for a plan.
MODE "resume": normal engines; prints how many calls each model received, as JSON.
"""

from __future__ import annotations

import json
import os
import sys

from cope.graph import CopeContext
from cope.runner import Runner
from cope.tasks import Item
from tests.fakes import ScriptedEngine, is_plan


def main(data_dir: str, mode: str) -> None:
    def small(req, k):
        if is_plan(req):
            return f"The goal is to find thing {k}."
        return f"\\boxed{{{k % 4}}}"  # 4 different answers: stage 1 must escalate

    def large(req, k):
        if mode == "crash":
            os._exit(17)  # an abrupt stop, like a killed process
        return "Add the parts." if is_plan(req) else "\\boxed{3}"

    engines = {"small": ScriptedEngine("s", small), "large": ScriptedEngine("l", large)}
    runner = Runner("cope", CopeContext(engines=engines), data_dir=data_dir)
    result = runner.solve(Item("resume-1", "What is 1 + 2?"), "math")
    print(json.dumps({
        "small_calls": len(engines["small"].requests),
        "large_calls": len(engines["large"].requests),
        "stages": [s["stage"] for s in result.stages],
        "answer": result.answer,
        "resumed": result.resumed,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
