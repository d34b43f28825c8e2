"""Code benchmarks: MBPP (sanitized, test split) and HumanEval, split into visible and hidden tests.

Visible tests are shown to the models and gate the cascade; hidden tests only score. MBPP
shows its first assert and hides all of them (the visible one included); HumanEval shows the
examples of its docstring, rewritten as asserts, and hides the dataset's ``check`` function.
docs/CODE.md explains the split.
"""

from __future__ import annotations

import ast
import gzip
import json
import warnings
from itertools import islice
from pathlib import Path

from cope.benchmarks.registry import data_dir
from cope.errors import CopeError
from cope.tasks.base import Item

# "f(x) ==> y", "f(x) ➞ y", "f(x) should return y", "f(x) # => y", ...; longest first.
_ARROWS = ("should return", "# returns", "returns", "# =>", "==>", "=>", "➞", "->", "==", "=")


_PURE_BUILTINS = ("round", "sorted", "len", "list", "tuple", "set", "abs", "str", "int", "float")
_LITERAL_NODES = (ast.Call, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.Set,
                  ast.Dict, ast.UnaryOp, ast.USub, ast.UAdd, ast.keyword)


# Docstring examples the reference solution contradicts (errata in the dataset, found by running
# every extracted example against the reference); they would fail every correct program.
_CONTRADICTED = {
    "humaneval-47": {"assert abs(median([-10, 4, 6, 1000, 10, 20]) - 15.0) < 1e-6"},
    "humaneval-130": {"assert tri(1) == 3", "assert tri(4) == 3"},  # values of the recurrence
    "humaneval-148": {"assert bf('Earth', 'Mercury') == 'Venus'"},  # ("Venus") is no tuple
}


def load_mbpp(limit: int | None = None) -> list[Item]:
    """MBPP sanitized test items (task ids 11-510, 257 problems)."""
    path = data_dir() / "mbpp" / "sanitized_test.jsonl"
    items = []
    for row in _jsonl(path, limit):
        setup = "\n".join(row["test_imports"])
        entry = mbpp_entry_point(row["test_list"][0], row["code"])
        items.append(Item(
            id=f"mbpp-{row['task_id']}",
            problem=row["prompt"],
            gold=row["code"],
            meta={
                "benchmark": "mbpp",
                "entry_point": entry,
                "test_setup": setup,
                "visible_tests": [row["test_list"][0]],
                "hidden_tests": "\n".join([setup, *row["test_list"]]).strip() + "\n",
                "program_prefix": "",
            },
        ))
    return items


def load_humaneval(limit: int | None = None) -> list[Item]:
    """HumanEval items (164 problems); visible tests come from the docstring examples."""
    path = data_dir() / "humaneval" / "HumanEval.jsonl.gz"
    items = []
    for row in _jsonl(path, limit):
        prompt, entry = row["prompt"], row["entry_point"]
        start = prompt.find(f"def {entry}(")
        item_id = row["task_id"].replace("HumanEval/", "humaneval-")
        wrong = _CONTRADICTED.get(item_id, set())
        items.append(Item(
            id=item_id,
            problem=prompt,
            gold=prompt + row["canonical_solution"],
            meta={
                "benchmark": "humaneval",
                "entry_point": entry,
                "prompt_code": prompt,
                "test_setup": "",
                "visible_tests": [t for t in docstring_tests(prompt, entry) if t not in wrong],
                "hidden_tests": f"{row['test'].strip()}\n\ncheck({entry})\n",
                # Imports and helper functions the prompt defines before the target function:
                # a candidate that only writes the target still needs them.
                "program_prefix": prompt[:start] if start > 0 else "",
            },
        ))
    return items


def mbpp_entry_point(first_test: str, reference: str) -> str:
    """The function an MBPP test calls that the reference solution defines."""
    with warnings.catch_warnings():  # some MBPP strings hold invalid escapes like "\w"
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        defined = [n.name for n in ast.walk(ast.parse(reference))
                   if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        called = [n.func.id for n in ast.walk(ast.parse(first_test))
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    for name in called:
        if name in defined:
            return name
    if not defined:
        raise CopeError(f"MBPP reference defines no function: {reference[:80]!r}; "
                        "the data file looks damaged, restore it from the repository")
    return defined[-1]


def docstring_tests(prompt: str, entry: str) -> list[str]:
    """Asserts made from the examples in ``entry``'s docstring (an empty list when it has none).

    Two shapes are read: doctest lines (``>>> f(1)`` then ``2``) and one-line examples such
    as ``f(1) == 2``, ``f(1) ➞ 2`` or ``f(1) should return 2``. An example becomes an assert
    only when its arguments and its result are Python literals, so prose like
    ``f(n) = 1 + n / 2, if n is even`` is left out.
    """
    lines = [line.strip() for line in _docstring(prompt, entry).splitlines()]
    pairs = _doctest_examples(lines)
    for line in lines:
        if not line.startswith(">>>") and f"{entry}(" in line:
            pair = _arrow_example(line, entry)
            if pair:
                pairs.append(pair)
    tests = []
    for call, want in pairs:
        test = _as_assert(call, want, entry)
        if test and test not in tests:
            tests.append(test)
    return tests


def _docstring(prompt: str, entry: str) -> str:
    """The docstring of ``entry`` in the prompt; the whole prompt if it does not parse."""
    try:
        tree = ast.parse(prompt + "\n    pass\n")
    except SyntaxError:
        return prompt
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == entry:
            return ast.get_docstring(node) or ""
    return prompt


def _doctest_examples(lines: list[str]) -> list[tuple[str, str]]:
    """(source, printed result) pairs of ``>>>`` examples; the result runs to a blank line."""
    pairs = []
    for i, line in enumerate(lines):
        if not line.startswith(">>>"):
            continue
        source, want = [line[3:].strip()], []
        for nxt in lines[i + 1:]:
            if nxt.startswith("...") and not want:
                source.append(nxt[3:].strip())
            elif nxt and not nxt.startswith(">>>"):
                want.append(nxt)
            else:
                break
        pairs.append((" ".join(source), " ".join(want)))
    return pairs


def _arrow_example(line: str, entry: str) -> tuple[str, str] | None:
    """Split ``... entry(args) SEP result`` into the call and the result, or None."""
    start = line.find(f"{entry}(")
    end = _closing_paren(line, start + len(entry))
    if end is None:
        return None
    rest = line[end + 1:].strip()
    for arrow in _ARROWS:
        if rest.startswith(arrow):
            want = rest[len(arrow):].strip()
            return line[start:end + 1], want.rstrip(".") if want.endswith(".") else want
    return None


def _closing_paren(text: str, open_at: int) -> int | None:
    """Index of the parenthesis closing the one at ``open_at`` (quotes respected)."""
    depth, quote = 0, None
    for i in range(open_at, len(text)):
        ch = text[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return None


def _as_assert(call: str, want: str, entry: str) -> str | None:
    """``assert call == want`` when both sides are literal enough to trust, else None.

    The call may wrap the entry point in a few pure builtins (``round(f(x), 2)``); every
    other name (a variable the prose explains) disqualifies the example.
    """
    want = {"true": "True", "false": "False"}.get(want, want)
    try:
        node = ast.parse(call, mode="eval").body
        expected = ast.literal_eval(ast.parse(want, mode="eval").body)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return None
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    if entry not in names or not names <= {entry, *_PURE_BUILTINS}:
        return None
    if any(not isinstance(n, _LITERAL_NODES) for n in ast.walk(node)):
        return None
    call = ast.unparse(node)
    if isinstance(expected, float):
        return f"assert abs({call} - {expected!r}) < 1e-6"
    return f"assert {call} == {expected!r}"


def _jsonl(path: Path, limit: int | None):
    """The first ``limit`` rows of a JSON-lines file, gzipped or not."""
    if not path.is_file():
        raise CopeError(f"benchmark file {path} is missing; restore data/ from the repository "
                        "or point COPE_DATA at a copy")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        rows = (json.loads(line) for line in handle if line.strip())
        yield from islice(rows, limit)
