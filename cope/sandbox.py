"""Run untrusted Python programs: one jailed process each, with time, memory and size limits.

Two modes. ``bwrap`` (preferred) runs every program under bubblewrap: new pid, network, ipc
and uts namespaces, a read-only view of the interpreter and system libraries only, an empty
size-limited tmpfs as working directory, no environment beyond PATH/LANG, and (when COPE runs
as root) an unprivileged uid of its own, so the process-count limit holds. ``rlimit`` is the
fallback where bubblewrap cannot run: resource limits plus a Python audit hook that refuses
processes, sockets, signals and writes outside the working directory. It stops ordinary
hostile Python, not native code; a loud warning says so once per process.

A program passes only if it runs to its end: the launcher (``sandbox_child.py``) prints a
secret token after the last line, so ``sys.exit(0)`` halfway through is a failure.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cope.errors import CopeError
from cope.sandbox_jail import CHILD, bwrap_argv, child_env, interpreter

logger = logging.getLogger(__name__)

Mode = Literal["bwrap", "rlimit"]
Status = Literal["passed", "failed", "timeout", "error"]

_SETUP_FAILED = 121  # the launcher's exit code when it could not set the sandbox up
_UID_BASE = 2_000_000  # root drops each program to its own uid from here (no real account)
_uids = itertools.count()
_mode_lock = threading.Lock()
_mode: Mode | None = None


@dataclass(frozen=True)
class Limits:
    """Resource limits for one program; the wall-clock timeout is passed separately."""

    memory_mb: int = 512  # address space (RLIMIT_AS) per process
    file_size_mb: int = 16  # largest file, stdout and stderr included (RLIMIT_FSIZE)
    nproc: int = 16  # processes and threads (RLIMIT_NPROC)
    disk_mb: int = 64  # size of the working-directory tmpfs (bwrap mode)
    output_chars: int = 8000  # stdout/stderr kept in the result


@dataclass(frozen=True)
class SandboxResult:
    """How one program ended. ``passed`` is True only for status "passed"."""

    passed: bool
    status: Status
    stdout: str
    stderr: str
    seconds: float
    mode: Mode


def sandbox_mode() -> Mode:
    """The mode programs run in here: "bwrap" if bubblewrap works, else "rlimit" (decided once).

    ``COPE_SANDBOX=bwrap`` makes a missing bubblewrap an error; ``COPE_SANDBOX=rlimit``
    skips the probe.
    """
    global _mode
    with _mode_lock:
        if _mode is None:
            _mode = _decide_mode(os.environ.get("COPE_SANDBOX", "").strip().lower())
        return _mode


def run_program(
    code: str, timeout: float = 5.0, *, limits: Limits | None = None, mode: Mode | None = None
) -> SandboxResult:
    """Run ``code`` as a fresh program in the sandbox and report how it ended. Thread-safe."""
    return _run(code, timeout, limits or Limits(), mode or sandbox_mode())


def run_many(
    programs: list[str],
    timeout: float = 5.0,
    workers: int | None = None,
    *,
    limits: Limits | None = None,
    mode: Mode | None = None,
) -> list[SandboxResult]:
    """Run several programs in parallel (one process each); results come back in input order."""
    if not programs:
        return []
    mode = mode or sandbox_mode()
    workers = max(1, min(workers or os.cpu_count() or 1, len(programs)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox") as pool:
        return list(pool.map(lambda c: run_program(c, timeout, limits=limits, mode=mode), programs))


def _decide_mode(forced: str) -> Mode:
    """Honour COPE_SANDBOX, else probe bubblewrap; warn loudly when falling back."""
    if forced == "rlimit":
        logger.warning("COPE_SANDBOX=rlimit: untrusted programs run WITHOUT namespace isolation")
        return "rlimit"
    reason = _bwrap_problem()
    if reason is None:
        return "bwrap"
    if forced == "bwrap":
        raise CopeError(f"COPE_SANDBOX=bwrap but bubblewrap cannot run ({reason}); "
                        "run scripts/install_sandbox.sh or unset COPE_SANDBOX")
    logger.warning(
        "!!! WEAK SANDBOX: bubblewrap cannot run here (%s). Generated programs will run with "
        "resource limits and a Python audit hook only, which native code can evade. Install "
        "it with scripts/install_sandbox.sh (and allow user namespaces) for real isolation.",
        reason,
    )
    return "rlimit"


def _bwrap_problem() -> str | None:
    """Why bubblewrap cannot jail a trivial program here, or None when it can."""
    if shutil.which("bwrap") is None:
        return "the bwrap command is not installed"
    probe = _run("print('ok')", 20.0, Limits(), "bwrap")
    if probe.status == "passed" and probe.stdout.strip() == "ok":
        return None
    return f"probe ended {probe.status}: {probe.stderr.strip()[:300] or 'no message'}"


def _settings(timeout: float, limits: Limits, mode: Mode) -> dict:
    """What the launcher sets up inside: hard limits, the uid to become, the audit hook."""
    cpu = math.ceil(timeout) + 1
    root_jail = mode == "bwrap" and os.geteuid() == 0
    nproc = limits.nproc if root_jail else _tasks_of_this_user() + limits.nproc
    uid = _UID_BASE + next(_uids) % 1_000_000 if root_jail else None
    return {
        "limits": {"RLIMIT_AS": limits.memory_mb << 20, "RLIMIT_CPU": cpu,
                   "RLIMIT_FSIZE": limits.file_size_mb << 20, "RLIMIT_NPROC": nproc,
                   "RLIMIT_CORE": 0, "RLIMIT_NOFILE": 256},
        "uid": uid, "gid": uid, "guard": mode == "rlimit", "parent": os.getpid(),
    }


def _tasks_of_this_user() -> int:
    """Threads this uid runs now: RLIMIT_NPROC counts them all, not only the sandbox's."""
    uid, total = str(os.getuid()), 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as status:
                fields = dict(line.split(":", 1) for line in status)
        except (OSError, ValueError):
            continue  # gone meanwhile
        if fields.get("Uid", "").split()[:1] == [uid]:
            total += int(fields.get("Threads", "1"))
    return total


def _run(code: str, timeout: float, limits: Limits, mode: Mode) -> SandboxResult:
    """Write the program to a private folder, start the launcher, wait, read the outcome."""
    token = secrets.token_hex(16)
    settings = json.dumps(_settings(timeout, limits, mode))
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="cope-sbx-", ignore_cleanup_errors=True) as jobdir,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        Path(jobdir, "program.py").write_text(code, encoding="utf-8")
        work = Path(jobdir, "work")
        work.mkdir()
        exe, folders = interpreter()
        if mode == "bwrap":
            argv = bwrap_argv(exe, folders, jobdir, limits.disk_mb) + [settings]
        else:
            argv = [exe, "-I", "-S", str(CHILD), str(Path(jobdir, "program.py")), settings]
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=out, stderr=err, cwd=work,
                env=child_env(str(work)), start_new_session=True, close_fds=True,
            )
        except OSError as exc:
            return SandboxResult(False, "error", "", f"sandbox: cannot start ({exc})",
                                 time.monotonic() - started, mode)
        timed_out = _feed_and_wait(proc, token, timeout)
        seconds = time.monotonic() - started
        stdout, finished = _read_output(out, limits.output_chars, token)
        stderr, _ = _read_output(err, limits.output_chars, None)
    status, note = _classify(proc.returncode, timed_out, finished, stderr, mode)
    if note:
        stderr = f"{stderr}\n{note}".lstrip()
    return SandboxResult(status == "passed", status, stdout, stderr, seconds, mode)


def _feed_and_wait(proc: subprocess.Popen, token: str, timeout: float) -> bool:
    """Hand the launcher its token, wait up to ``timeout``; True if it had to be killed."""
    try:
        proc.stdin.write(f"{token}\n".encode())
        proc.stdin.close()
    except OSError:
        pass  # it died before reading: the exit status tells why
    try:
        _wait_exit(proc, timeout)
        return False
    except subprocess.TimeoutExpired:
        # Kill the whole group while its leader is unreaped, so the group id cannot have
        # been reused. In bwrap mode this takes the pid namespace, and all in it, along.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        return True


def _wait_exit(proc: subprocess.Popen, timeout: float) -> None:
    """``proc.wait(timeout)`` without its polling: Popen sleeps up to 50 ms between checks."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # no pidfd (old kernel or not Linux): poll instead
        proc.wait(timeout=timeout)
        return
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        if not poller.poll(max(0.0, timeout) * 1000):
            raise subprocess.TimeoutExpired(proc.args, timeout)
    finally:
        os.close(pidfd)
    proc.wait()


def _read_output(handle, limit: int, token: str | None) -> tuple[str, bool]:
    """The first ``limit`` characters of a capture file, and whether it ends with ``token``."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - 256))
    finished = token is not None and handle.read().rstrip().endswith(token.encode())
    handle.seek(0)
    text = handle.read(limit * 4).decode("utf-8", errors="replace")
    if token is not None:
        text = text.replace(f"\n{token}\n", "")
    if len(text) > limit or size > limit * 4:
        text = f"{text[:limit]}\n... [output truncated; {size} bytes in all]"
    return text, finished


def _classify(rc: int, timed_out: bool, finished: bool, stderr: str, mode: Mode):
    """Status and an explanatory note from the exit code (bwrap reports signals as 128+n)."""
    sig = -rc if rc < 0 else (rc - 128 if mode == "bwrap" and rc > 128 else 0)
    if timed_out or sig == signal.SIGXCPU:
        return "timeout", "sandbox: time limit reached"
    if rc == _SETUP_FAILED or (mode == "bwrap" and rc == 1 and stderr.startswith("bwrap:")):
        return "error", "sandbox: could not set up the sandbox"
    if rc == 0 and finished:
        return "passed", ""
    if rc == 0:
        return "failed", "sandbox: the program ended before its last line ran"
    if sig == signal.SIGXFSZ:
        return "failed", "sandbox: output or file size limit exceeded"
    if sig:
        return "failed", f"sandbox: killed by signal {sig} (memory or process limits?)"
    return "failed", ""
