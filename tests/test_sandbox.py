"""The sandbox contains hostile programs, in every mode this machine offers, and runs good ones."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cope import sandbox
from cope.errors import CopeError
from cope.sandbox import Limits, run_many, run_program
from tests.hostile_programs import CORPUS, render

TIMEOUT = 3.0
SLACK = 4.0  # start-up and kill time allowed beyond the timeout
FAKE_KEY = "sk-fake-" + "0" * 24


def _modes() -> list[str]:
    """Sandbox modes to test: rlimit always, bwrap when it works here."""
    modes = ["rlimit"]
    if sandbox._bwrap_problem() is None:
        modes.insert(0, "bwrap")
    return modes


MODES = _modes()


class _Listener:
    """A TCP and a unix-socket server on the host that record whatever reaches them."""

    def __init__(self, unix_path: Path) -> None:
        self.received: list[bytes] = []
        self.stopped = False
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(str(unix_path))
        self.unix.listen()
        for server in (self.tcp, self.unix):
            server.settimeout(0.2)
            threading.Thread(target=self._serve, args=(server,), daemon=True).start()
        self.port = self.tcp.getsockname()[1]

    def _serve(self, server: socket.socket) -> None:
        """Accept connections until closed, keeping the first bytes of each."""
        while not self.stopped:
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(1)
            try:
                self.received.append(b"connected:" + conn.recv(100))
            except OSError:
                self.received.append(b"connected")
            conn.close()

    def close(self) -> None:
        self.stopped = True
        self.tcp.close()
        self.unix.close()


def _leftovers(marker: str) -> list[str]:
    """Command lines of processes that carry ``marker`` or are sandbox launchers."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline or "sandbox_child.py" in cmdline or "/cope/launch.py" in cmdline:
            found.append(f"{entry.name}: {cmdline[:120]}")
    return found


@pytest.mark.parametrize("mode", MODES)
def test_hostile_corpus_is_contained(mode, tmp_path, monkeypatch):
    """Every attack fails within its time limit, and nothing outside the jail changes."""
    assert len(CORPUS) >= 30
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    arena = tmp_path / "arena"
    arena.mkdir()
    canary = arena / "canary.txt"
    canary.write_text("untouched")
    canary_stat = canary.stat()
    marker = f"copemarker{secrets.token_hex(6)}"
    tmp_target = Path("/tmp") / f"cope_pwned_{marker}"
    listener = _Listener(tmp_path / "host.sock")
    values = {"CANARY_DIR": str(arena), "CANARY": str(canary), "PORT": str(listener.port),
              "UNIX_SOCKET": str(tmp_path / "host.sock"), "MARKER": marker,
              "TMP_TARGET": str(tmp_target)}
    chosen = [p for p in CORPUS if mode == "bwrap" or not p.isolation_only]
    programs = [render(p, values) for p in chosen]

    try:
        results = run_many(programs, timeout=TIMEOUT, workers=2, mode=mode)
        time.sleep(0.5)  # let anything that escaped show itself
        left = _leftovers(marker)
    finally:
        listener.close()

    problems = []
    for program, result in zip(chosen, results, strict=True):
        assert result.mode == mode
        if result.passed and not program.may_pass:
            problems.append(f"{program.name}: attack succeeded\n{result.stdout}{result.stderr}")
        if result.seconds > TIMEOUT + SLACK:
            problems.append(f"{program.name}: took {result.seconds:.1f}s")
        if len(result.stdout) > 9000 or len(result.stderr) > 9000:
            problems.append(f"{program.name}: output not capped")
    assert not problems, "\n".join(problems)
    assert canary.read_text() == "untouched"
    assert canary.stat().st_mode == canary_stat.st_mode
    assert sorted(p.name for p in arena.iterdir()) == ["canary.txt"]
    assert not tmp_target.exists()
    assert not Path(f"/etc/cope_pwned_{marker}").exists()
    assert not Path("/cope_pwned.txt").exists()
    assert listener.received == []
    assert left == [], f"processes left running: {left}"


@pytest.mark.parametrize("mode", MODES)
def test_correct_program_passes_and_wrong_one_fails(mode):
    good = "def add(a, b):\n    return a + b\n\nassert add(2, 3) == 5\nprint('done')\n"
    result = run_program(good, timeout=10, mode=mode)
    assert (result.status, result.passed, result.mode) == ("passed", True, mode)
    assert result.stdout.strip() == "done"
    bad = run_program(good.replace("a + b", "a - b"), timeout=10, mode=mode)
    assert (bad.status, bad.passed) == ("failed", False)
    assert "AssertionError" in bad.stderr


@pytest.mark.parametrize("mode", MODES)
def test_environment_is_scrubbed_and_workdir_empty(mode, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("COPE_SECRET_TOKEN", "x")
    probe = "import os\nprint(sorted(os.environ))\nprint(os.listdir('.'))\n"
    result = run_program(probe, timeout=10, mode=mode)
    assert result.passed, result.stderr
    env_line, files_line = result.stdout.strip().splitlines()
    assert set(eval(env_line)) <= {"PATH", "LANG", "HOME", "TMPDIR", "PWD"}
    assert eval(files_line) == []


@pytest.mark.parametrize("mode", MODES)
def test_timeout_status_and_prompt_return(mode):
    result = run_program("import time\ntime.sleep(30)\n", timeout=1.0, mode=mode)
    assert result.status == "timeout"
    assert result.seconds < 1.0 + SLACK


@pytest.mark.parametrize("mode", MODES)
def test_output_is_truncated(mode):
    limits = Limits(output_chars=500)
    result = run_program("print('z' * 100_000)\n", timeout=10, limits=limits, mode=mode)
    assert result.passed
    assert len(result.stdout) < 700 and "truncated" in result.stdout


@pytest.mark.parametrize("mode", MODES)
def test_run_many_keeps_order_and_runs_in_parallel(mode):
    programs = [f"import time\ntime.sleep(0.5)\nassert {i} % 3 != 0\n" for i in range(6)]
    start = time.monotonic()
    results = run_many(programs, timeout=10, workers=3, mode=mode)
    elapsed = time.monotonic() - start
    assert [r.passed for r in results] == [i % 3 != 0 for i in range(6)]
    assert elapsed < 6 * 0.5  # sequential would take at least 3 s


def test_run_program_is_safe_from_threads():
    results: list = [None] * 6

    def work(i: int) -> None:
        results[i] = run_program(f"assert {i} < 3\n", timeout=10)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert [r.passed for r in results] == [True, True, True, False, False, False]


def test_sandbox_mode_is_reported():
    assert sandbox.sandbox_mode() in ("bwrap", "rlimit")
    assert run_program("pass", timeout=10).mode == sandbox.sandbox_mode()


def test_leftover_scan_sees_a_stray_process():
    """The containment check above is only as good as this scan: it must find a live process."""
    marker = f"copemarker{secrets.token_hex(6)}"
    stray = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    try:
        time.sleep(0.2)
        assert any(line.startswith(f"{stray.pid}:") for line in _leftovers(marker))
    finally:
        stray.kill()
        stray.wait()
    assert _leftovers(marker) == []


def test_falls_back_to_rlimit_with_a_loud_warning(monkeypatch, caplog):
    monkeypatch.setattr(sandbox, "_mode", None)
    monkeypatch.delenv("COPE_SANDBOX", raising=False)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with caplog.at_level("WARNING", logger="cope.sandbox"):
        assert sandbox.sandbox_mode() == "rlimit"
    assert "WEAK SANDBOX" in caplog.text and "install_sandbox.sh" in caplog.text
    assert run_program("pass", timeout=10).mode == "rlimit"


def test_forcing_bwrap_without_it_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(sandbox, "_mode", None)
    monkeypatch.setenv("COPE_SANDBOX", "bwrap")
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(CopeError, match="install_sandbox.sh"):
        sandbox.sandbox_mode()
