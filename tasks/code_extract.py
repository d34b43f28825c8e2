"""Pull the Python program out of a model's reply: fenced blocks, bare code, thinking removed."""

from __future__ import annotations

import ast
import re

_FENCE = re.compile(r"```[ \t]*([\w+.-]*)[^\n]*\n(.*?)(?:\n[ \t]*```|\Z)", re.DOTALL)
_PYTHON_TAGS = {"python", "py", "python3", "py3", "pycon", ""}
_CODE_START = re.compile(r"^(?:def |async def |class |import |from \S+ import |@)", re.MULTILINE)
_MAX_TRIM_LINES = 400  # bare-code search tries at most this many end lines


def extract_program(text: str, entry_point: str | None = None) -> str:
    """The program in ``text``, or "" when there is none.

    Fenced blocks win over bare code. Among fenced Python blocks, the last one that defines
    ``entry_point`` is taken (a reply often shows a draft, then the fixed version, then a
    usage example); without such a block, the longest block that parses. Without fences,
    the whole reply if it parses, else the longest stretch of it that does, starting at the
    first line that looks like code.
    """
    text = _without_thinking(text or "")
    blocks = [(tag.lower(), body) for tag, body in _FENCE.findall(text)]
    python = [body for tag, body in blocks if tag in _PYTHON_TAGS] or [b for _, b in blocks]
    python = [b for b in python if b.strip()]
    if python:
        if entry_point:
            defining = [b for b in python if defines(b, entry_point)]
            if defining:
                return _tidy(defining[-1])
        parsing = [b for b in python if _parses(b)]
        return _tidy(max(parsing or python, key=len))
    return _tidy(_bare_code(text))


def defines(code: str, name: str) -> bool:
    """Whether ``code`` defines a function, class or variable called ``name``."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.M) is not None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return True
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return True
    return False


def _without_thinking(text: str) -> str:
    """Drop a reasoning section: everything up to the last ``</think>``."""
    return text.rsplit("</think>", 1)[-1] if "</think>" in text else text


def _bare_code(text: str) -> str:
    """Unfenced code: all of ``text`` if it parses, else its longest parsing stretch.

    Only text with a line that starts like code (def, class, import, a decorator) counts:
    a one-word reply such as "nothing" parses as Python but is no program.
    """
    match = _CODE_START.search(text)
    if not match:
        return ""
    if _parses(text):
        return text
    lines = text[match.start():].splitlines()[:_MAX_TRIM_LINES]
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end])
        if _parses(candidate):
            return candidate
    return ""


def _parses(code: str) -> bool:
    """Whether ``code`` is syntactically valid Python."""
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def _tidy(code: str) -> str:
    """Strip blank lines at both ends and end with one newline ("" stays "")."""
    code = code.strip("\n")
    return f"{code}\n" if code.strip() else ""
