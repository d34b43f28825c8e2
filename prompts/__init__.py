"""Prompt files: plain text, one file per prompt, one folder per task family."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from cope.errors import CopeError

_ROOT = Path(__file__).resolve().parent


@cache
def load_prompt(family: str, name: str) -> str:
    """The text of ``prompts/<family>/<name>.md``, without its trailing newline."""
    path = _ROOT / family / f"{name}.md"
    if not path.is_file():
        raise CopeError(f"prompt file {path} is missing; restore it from the repository")
    return path.read_text(encoding="utf-8").rstrip("\n")


@cache
def prompts_digest(family: str) -> str:
    """A short hash of the family's prompt files: a run under edited prompts is a new run."""
    h = hashlib.sha256()
    for path in sorted((_ROOT / family).glob("*")):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]
