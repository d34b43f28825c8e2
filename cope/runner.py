"""Library entry point: solve problems through the compiled cascade with a SQLite checkpointer.

Every problem runs in its own checkpoint thread. Running the same problem again with the same
cascade and models resumes an interrupted run where it stopped, and returns a finished one
without calling any model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from cope.config import CascadeConfig, load_config
from cope.errors import CopeError
from cope.graph.builder import compile_graph
from cope.graph.context import CopeContext
from cope.ledger import PriceTable, summarize
from cope.models.bundled import cope_home
from cope.prompts import prompts_digest
from cope.tasks.base import Item

log = logging.getLogger(__name__)


@dataclass
class Result:
    """One solved problem: the answer, where the cascade stopped, and what it cost."""

    item_id: str
    answer: Any
    final_stage: str
    consensus: float
    stages: list[dict[str, Any]]
    ledger: dict[str, Any]
    seconds: float
    resumed: bool = False
    thread_id: str = ""
    usage: list[dict[str, Any]] = field(default_factory=list)
    trajectory: list[dict[str, Any]] = field(default_factory=list)
    steps_per_stage: dict[str, int] = field(default_factory=dict)


def open_checkpointer(path: Path) -> SqliteSaver:
    """A SqliteSaver on ``path`` in WAL mode, tolerant of a second reader for 30 s."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise CopeError(
            f"cannot create the checkpoint file {path} ({exc}); pass a writable folder "
            "with --data-dir"
        ) from exc
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        saver = SqliteSaver(conn)
        saver.setup()
    except sqlite3.OperationalError as exc:
        raise CopeError(
            f"cannot open the checkpoint file {path} ({exc}); another COPE run may hold it: "
            "wait for it or pass a different --data-dir"
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise CopeError(
            f"{path} is not a COPE checkpoint database ({exc}); move it away or pass a "
            "different --data-dir"
        ) from exc
    return saver


class Runner:
    """A cascade, its models and a checkpoint file, ready to solve problems."""

    def __init__(
        self,
        config: CascadeConfig | str = "cope",
        context: CopeContext | None = None,
        data_dir: str | Path | None = None,
        prices: PriceTable | None = None,
    ):
        self.config = load_config(config) if isinstance(config, str) else config
        self.context = context or CopeContext()
        self.data_dir = Path(data_dir) if data_dir else cope_home() / "runs"
        self.db_path = self.data_dir / "checkpoints.sqlite"
        self.prices = prices or PriceTable.load()
        self.saver = open_checkpointer(self.db_path)
        self.graph = compile_graph(self.config, checkpointer=self.saver)

    def check_models(self) -> None:
        """Load every model the cascade calls, and reach every remote one, before any work.

        A wrong ``--large`` would otherwise surface only when an item first escalates (and
        never, while stage 1 keeps accepting).
        """
        for role in sorted(self.config.roles()):
            engine = self.context.engine(role)
            check = getattr(engine, "check", None)
            if check:
                check()

    def thread_id(self, item: Item, task: str) -> str:
        """One thread per (problem, cascade, models, prompts): the same run resumes, another
        (an edited prompt file included) starts anew."""
        key = json.dumps(
            [item.problem, item.meta, task, self.config.to_dict(),
             {r: self.context.model_name(r) for r in sorted(self.config.roles())},
             prompts_digest(task)],
            sort_keys=True, default=str,
        )
        return f"{task}:{item.id}:{hashlib.sha256(key.encode()).hexdigest()[:16]}"

    def _drive(self, inputs: dict | None, cfg: dict,
               on_step: Callable[[str, dict], None] | None) -> None:
        # durability="sync": every step is on disk before the next one starts.
        for chunk in self.graph.stream(inputs, cfg, context=self.context, durability="sync",
                                       stream_mode="updates"):
            if on_step:
                for node, update in chunk.items():
                    if not node.startswith("__"):
                        on_step(node, update or {})

    def solve(self, item: Item, task: str,
              on_step: Callable[[str, dict], None] | None = None) -> Result:
        """Run (or resume, or recall) the cascade on ``item``.

        ``on_step(node, update)`` is called after each top-level node finishes (for progress
        displays); the update is what the node wrote to the state.
        """
        if not item.problem or not item.problem.strip():
            raise CopeError("the problem is empty; give the text of a problem to solve")
        thread = self.thread_id(item, task)
        cfg = {"configurable": {"thread_id": thread}}
        start = time.perf_counter()

        snapshot = self.graph.get_state(cfg)
        resumed = bool(snapshot.values)
        if snapshot.values and not snapshot.next:
            log.info("%s: already solved in %s", item.id, self.db_path)
        elif snapshot.next:
            log.info("%s: resuming at %s", item.id, ", ".join(snapshot.next))
            self._drive(None, cfg, on_step)
        else:
            # Gold answers and hidden tests never enter the graph (or its checkpoints).
            meta = {k: v for k, v in item.meta.items() if not k.startswith("hidden")}
            public = {"id": item.id, "problem": item.problem, "gold": None, "meta": meta}
            self._drive({"problem": item.problem, "task": task, "item": public}, cfg, on_step)
        state = self.graph.get_state(cfg).values
        usage = state.get("usage", [])
        return Result(
            item_id=item.id,
            answer=state.get("answer"),
            final_stage=state.get("final_stage", ""),
            consensus=state.get("consensus", 0.0),
            stages=state.get("stages", []),
            ledger=summarize(usage, self.prices),
            seconds=time.perf_counter() - start,
            resumed=resumed,
            thread_id=thread,
            usage=usage,
            trajectory=state.get("trajectory", []),
            steps_per_stage=state.get("steps_per_stage", {}),
        )
