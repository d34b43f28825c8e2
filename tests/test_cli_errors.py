"""Bad input gets one clear message naming the fix, a non-zero exit and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cope.models.bundled import BUNDLED


def cope(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cope.cli", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )


def assert_clean_error(done: subprocess.CompletedProcess, *phrases: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("cope: error:")]
    assert len(lines) == 1, done.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def test_empty_problem(tmp_path):
    assert_clean_error(cope("run", "   ", "--data-dir", str(tmp_path)), "empty")


def test_unknown_benchmark(tmp_path):
    assert_clean_error(cope("eval", "gsm9k", "--limit", "2", "--data-dir", str(tmp_path)),
                       "unknown benchmark", "gsm8k")


def test_missing_model_file(tmp_path):
    done = cope("run", "What is 2+2?", "--cascade", "small-only", "--data-dir", str(tmp_path),
                env={"COPE_HOME": str(tmp_path / "empty-home")})
    assert_clean_error(done, "not found", "cope models install qwen2.5-coder-0.5b")


def test_corrupt_model_file(tmp_path):
    model = BUNDLED["qwen2.5-coder-0.5b"]
    path = tmp_path / "home" / "models" / model.name / model.filename
    path.parent.mkdir(parents=True)
    path.write_bytes(b"GGUF" + b"\0" * 1024)
    done = cope("run", "What is 2+2?", "--cascade", "small-only", "--data-dir", str(tmp_path),
                env={"COPE_HOME": str(tmp_path / "home")})
    assert_clean_error(done, "corrupt", "sha256", "--force")


def test_unreachable_endpoint(tmp_path):
    done = cope("run", "What is 2+2?", "--cascade", "large-only", "--large", "openai:any",
                "--base-url", "http://127.0.0.1:9/v1", "--data-dir", str(tmp_path))
    assert_clean_error(done, "cannot reach", "http://127.0.0.1:9/v1")


@pytest.mark.parametrize(("bad", "phrase"), [("no-such-cascade", "unknown cascade"),
                                             ("missing.json", "not found")])
def test_unknown_cascade(tmp_path, bad, phrase):
    assert_clean_error(cope("run", "2+2?", "--cascade", bad, "--data-dir", str(tmp_path)),
                       phrase)


def test_missing_api_key(tmp_path):
    env = {"OPENAI_API_KEY": "", "COPE_API_KEY": "", "OPENAI_BASE_URL": ""}
    done = cope("run", "2+2?", "--cascade", "large-only", "--large", "openai:gpt-4o-mini",
                "--data-dir", str(tmp_path), env=env)
    assert_clean_error(done, "OPENAI_API_KEY")


def test_bad_large_model_is_found_before_any_work(tmp_path):
    # The default cascade calls the large model only on escalation; the check comes first.
    done = cope("run", "2+2?", "--large", "openai:any", "--base-url", "http://127.0.0.1:9/v1",
                "--data-dir", str(tmp_path))
    assert_clean_error(done, "cannot reach")
    assert_clean_error(cope("run", "2+2?", "--large", "no-such-model", "--data-dir",
                            str(tmp_path)), "unknown model", "openai:MODEL")


def test_unreadable_gguf_file(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_text("not a model")
    done = cope("run", "2+2?", "--cascade", "small-only", "--small", f"gguf:{bad}",
                "--data-dir", str(tmp_path))
    assert_clean_error(done, "cannot load", "GGUF")


def test_unusable_data_dir_and_out_folder(tmp_path):
    not_a_db = tmp_path / "d"
    not_a_db.mkdir()
    (not_a_db / "checkpoints.sqlite").write_text("hello " * 100)
    assert_clean_error(cope("run", "2+2?", "--data-dir", str(not_a_db)),
                       "not a COPE checkpoint database", "--data-dir")
    a_file = tmp_path / "f"
    a_file.write_text("")
    assert_clean_error(cope("run", "2+2?", "--data-dir", str(a_file)), "--data-dir")


def test_unknown_bundled_model_in_models_list():
    assert_clean_error(cope("models", "list", "nosuch"), "unknown bundled model", "smollm2")
