"""Math benchmarks: GSM8K, MATH-500, AIME 2024."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

from cope.errors import CopeError
from cope.tasks.base import Item


def _rows(path: Path, limit: int | None):
    if not path.is_file():
        raise CopeError(f"benchmark file {path} is missing; restore data/ from the repository "
                        "or point COPE_DATA at a copy")
    with path.open(encoding="utf-8") as f:
        for line in islice(f, limit):
            yield json.loads(line)


def load_gsm8k(limit: int | None = None) -> list[Item]:
    """GSM8K test items; gold is the number after ``####``."""
    from cope.benchmarks.registry import data_dir

    return [
        Item(id=f"gsm8k-{i}", problem=row["question"],
             gold=row["answer"].split("####")[-1].strip().replace(",", ""))
        for i, row in enumerate(_rows(data_dir() / "gsm8k" / "test.jsonl", limit))
    ]


def load_math500(limit: int | None = None) -> list[Item]:
    """MATH-500 items; gold is the ``answer`` field, subject and level go to meta."""
    from cope.benchmarks.registry import data_dir

    return [
        Item(id=f"math500-{i}", problem=row["problem"], gold=row["answer"],
             meta={"subject": row.get("subject"), "level": row.get("level")})
        for i, row in enumerate(_rows(data_dir() / "math500" / "test.jsonl", limit))
    ]


def load_aime24(limit: int | None = None) -> list[Item]:
    """AIME 2024 items; gold is the integer answer without zero padding."""
    from cope.benchmarks.registry import data_dir

    return [
        Item(id=f"aime24-{row['id']}", problem=row["problem"], gold=str(int(row["answer"])))
        for row in _rows(data_dir() / "aime2024" / "test.jsonl", limit)
    ]
