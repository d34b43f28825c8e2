"""Symbolic answer equivalence with math-verify, run in a worker process.

math-verify enforces its own time limits with ``signal.alarm``, which only works in a main
thread; LangGraph runs sync nodes in worker threads. So every comparison runs in the main
thread of a dedicated child process, where those limits work, and the parent adds a wall-clock
limit on top: a call that overruns kills the worker and falls back to string matching.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import re
import threading
from multiprocessing.pool import Pool

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: Pool | None = None


def normalize(answer: str) -> str:
    """A plain-text form used when symbolic parsing fails: no spaces, $, or trailing dot."""
    text = answer.strip().strip("$").rstrip(".")
    text = re.sub(r"\\text\{([^}]*)\}", r"\1", text)
    text = re.sub(r"\\[,!; ]|\s+", "", text)
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    return text.lower()


def _parse(answer: str):
    from math_verify import parse

    parsed = parse("\\boxed{" + answer + "}", parsing_timeout=3)
    return parsed or None


def _worker_group(answers: list[str | None]) -> list[int]:
    """Runs in the child: one group label per answer (None answers stand alone)."""
    from math_verify import verify

    parsed = [(_parse(a) if a is not None else None) for a in answers]
    reps: list[int] = []  # index of each group's first member
    labels: list[int] = []
    for i, ans in enumerate(answers):
        label = -1
        if ans is not None:
            for g, rep in enumerate(reps):
                if _same(answers[rep], ans, parsed[rep], parsed[i], verify):
                    label = g
                    break
        if label == -1:
            reps.append(i)
            label = len(reps) - 1
        labels.append(label)
    return labels


def _same(a: str | None, b: str, pa, pb, verify) -> bool:
    if a is None:
        return False
    if normalize(a) == normalize(b):
        return True
    if pa is None or pb is None:
        return False
    try:
        return bool(verify(pa, pb, timeout_seconds=3))
    except Exception:  # math-verify raises on exotic inputs; treat as "not shown equal"
        return False


def _worker_equal(pred: str, gold: str) -> bool:
    from math_verify import verify

    return _same(gold, pred, _parse(gold), _parse(pred), verify)


def _get_pool() -> Pool:
    global _pool
    if _pool is None:
        _pool = mp.get_context("spawn").Pool(processes=1)
    return _pool


def _kill_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.terminate()
        _pool = None


def _run(func, args, timeout: float):
    with _lock:
        try:
            return _get_pool().apply_async(func, args).get(timeout=timeout)
        except mp.TimeoutError:
            log.warning("math-verify overran %.0fs; falling back to string matching", timeout)
            _kill_pool()
            return None


def group_answers(answers: list[str | None], timeout: float = 30.0) -> list[int]:
    """Group labels for ``answers``: equal labels mean symbolically equivalent answers.

    Safe from any thread. ``None`` (no answer found) never joins a group.
    """
    keys = [normalize(a) if a is not None else None for a in answers]
    if None not in keys and len(set(keys)) == 1:
        return [0] * len(answers)
    labels = _run(_worker_group, (list(answers),), timeout)
    if labels is None:  # timed out: plain string grouping
        seen: dict[str, int] = {}
        labels = []
        for i, k in enumerate(keys):  # a missing answer gets a label no other can share
            labels.append(seen.setdefault(k, len(seen)) if k is not None else len(answers) + i)
    return labels


def answers_equal(pred: str | None, gold: str, timeout: float = 20.0) -> bool:
    """Whether ``pred`` is equivalent to ``gold`` (symbolically, else as normalised text)."""
    if pred is None:
        return False
    if normalize(pred) == normalize(gold):
        return True
    result = _run(_worker_equal, (pred, gold), timeout)
    return bool(result)
