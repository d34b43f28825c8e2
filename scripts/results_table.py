"""Print a Markdown table of evaluation summaries: `python scripts/results_table.py DIR...`."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def row(summary: dict) -> str:
    stages = " / ".join(f"{k}: {v}" for k, v in summary["resolved_per_stage"].items())
    large = summary["large_tokens"]
    models = ", ".join(f"{k}={v}" for k, v in summary["models"].items())
    return (f"| {summary['cascade']} | {models} | {summary['accuracy']:.2f} | {stages} | "
            f"{large['input']} / {large['output']} | {summary['cost_usd']:.5f} | "
            f"{summary['wall_seconds']:.0f} |")


def main(dirs: list[str]) -> None:
    print("| cascade | models | accuracy | items resolved per stage | large tokens in / out "
          "| cost USD | wall s |")
    print("|---|---|---|---|---|---|---|")
    for d in dirs:
        path = Path(d) / "summary.json"
        if path.is_file():
            print(row(json.loads(path.read_text())))


if __name__ == "__main__":
    main(sys.argv[1:])
