"""A run killed after stage 1 resumes in a new process without running stage 1 again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def drive(data_dir: Path, mode: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.resume_driver", str(data_dir), mode],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def test_interrupted_run_resumes_from_sqlite_in_new_process(tmp_path):
    crashed = drive(tmp_path, "crash")
    assert crashed.returncode == 17, crashed.stderr
    assert (tmp_path / "checkpoints.sqlite").is_file()

    resumed = drive(tmp_path, "resume")
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert out["resumed"] is True
    # Stage 1 (8 goals + 8 answers) is not drawn again: only stage 2's 8 answers are.
    assert out["small_calls"] == 8
    assert out["large_calls"] == 2  # guideline + stage-3 answer
    assert out["stages"] == ["stage1", "stage2", "stage3"]
    assert out["answer"] == "3"


def test_fresh_data_dir_starts_from_scratch(tmp_path):
    done = drive(tmp_path, "resume")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["resumed"] is False
    assert out["small_calls"] == 24  # stage 1: 8 goals + 8 answers; stage 2: 8 answers
