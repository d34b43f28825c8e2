"""The launcher that runs inside the sandbox: limits itself, then executes one untrusted program.

``cope.sandbox`` starts it as ``python -I sandbox_child.py PROGRAM SETTINGS_JSON`` (inside
bubblewrap, or bare in rlimit mode) and writes a one-line token on its stdin. The launcher
reads the token, sets hard resource limits, drops to an unprivileged uid when told to, and
executes the program. Only when the program ran to its end does it print the token, so a
program that leaves early with ``sys.exit(0)`` or ``os._exit(0)`` cannot pass for one that
ran every test.

This file imports nothing from ``cope``: it runs alone, under the bare interpreter.
"""

from __future__ import annotations

import builtins
import json
import linecache
import os
import resource
import signal
import sys
import traceback

_BLOCKED_EVENTS = frozenset({
    "os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
    "subprocess.Popen", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill",
    "socket.__new__", "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
    "socket.getaddrinfo", "resource.setrlimit", "resource.prlimit", "ctypes.dlopen",
    "ctypes.dlsym", "ctypes.cdata", "os.setuid", "os.setgid", "os.chroot",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents",
})
_PATH_EVENTS = frozenset({
    "os.remove", "os.rmdir", "os.rename", "os.truncate", "os.chmod", "os.chown", "os.link",
    "os.symlink", "os.mkdir", "os.utime", "os.chflags", "shutil.rmtree", "shutil.copyfile",
    "shutil.copymode", "shutil.copystat", "shutil.move",
})
_BLOCKED_MODULES = frozenset({"ctypes", "_ctypes", "_posixsubprocess", "multiprocessing"})
_SETUP_FAILED = 121  # tells the parent the sandbox, not the program, went wrong
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _set_limits(limits: dict[str, int]) -> None:
    """Set each limit as both soft and hard, so the program cannot raise it again."""
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


def _drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` with no supplementary groups; every capability goes with root."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise RuntimeError("sandbox: could not drop privileges")


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process if COPE dies (bwrap mode has this built in).

    The signal follows the parent *thread*; that is safe because the thread that starts a
    program waits for it before it can end.
    """
    import ctypes  # before the guard goes up; the program itself may not import it

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(_SETUP_FAILED)


def _install_guard(workdir: str) -> None:
    """Refuse, from Python, what rlimits alone cannot stop (rlimit mode only).

    An audit hook is not a security boundary: native code can step around it. It contains
    ordinary hostile Python (processes, sockets, signals, writes outside the working
    directory); bubblewrap mode does not need it.
    """
    home = os.path.realpath(workdir)
    proc_self = {"/proc/self", f"/proc/{os.getpid()}", "/proc/thread-self"}

    def inside(path: object) -> bool:
        """Whether ``path`` resolves into the working directory."""
        if isinstance(path, int):  # an fd the program already holds
            return True
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return real == home or real.startswith(home + os.sep)

    def readable(path: object) -> bool:
        """Whether reading ``path`` is allowed: anything but other processes' /proc entries."""
        if isinstance(path, int):
            return True
        real = os.path.realpath(os.fsdecode(path))
        if not real.startswith("/proc/"):
            return True
        return any(real == p or real.startswith(p + "/") for p in proc_self)

    def hook(event: str, args: tuple) -> None:
        """Raise PermissionError for a refused event; return quietly otherwise."""
        if event in _BLOCKED_EVENTS or (event == "object.__setattr__" and args[1] == "__code__"):
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "import" and args[0].split(".")[0] in _BLOCKED_MODULES:
            raise PermissionError(f"sandbox: importing {args[0]} is not allowed")
        if event == "open":
            path, mode, flags = args
            writes = any(c in (mode or "") for c in "wax+") or bool((flags or 0) & _WRITE_FLAGS)
            # os.open of an outside directory would give a dir_fd that later calls resolve
            # against, out of this hook's sight.
            outside_dir = mode is None and not inside(path) and os.path.isdir(path)
            if (writes and not inside(path)) or not readable(path) or outside_dir:
                raise PermissionError(f"sandbox: cannot open {path!r} here")
        elif event in _PATH_EVENTS:
            paths = [a for a in args if isinstance(a, (str, bytes, os.PathLike))]
            if any(not inside(p) for p in paths):
                raise PermissionError(f"sandbox: {event} outside the working directory")

    sys.addaudithook(hook)


def main() -> None:
    """Read the token, limit this process, run the program, print the token if it finished."""
    try:
        token = sys.stdin.readline().strip()
        settings = json.loads(sys.argv[2])
        with open(sys.argv[1], encoding="utf-8") as handle:
            source = handle.read()
        _set_limits(settings["limits"])
        if settings.get("uid") is not None:
            _drop_privileges(settings["uid"], settings["gid"])
        if settings.get("guard"):
            _die_with_parent(settings["parent"])
            _install_guard(os.getcwd())
    except BaseException:  # noqa: BLE001 - the parent reports this as a sandbox error
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(_SETUP_FAILED)

    sys.argv = ["program.py"]
    linecache.cache["program.py"] = (len(source), None, source.splitlines(True), "program.py")
    # Not "__main__": a demo block under `if __name__ == "__main__":` must not run (it may
    # read stdin or exit), only the definitions and the tests appended after them.
    namespace = {"__name__": "cope_program", "__builtins__": builtins}
    try:
        exec(compile(source, "program.py", "exec"), namespace)  # noqa: S102 - the point
    except SystemExit as exc:
        sys.stderr.write(f"sandbox: the program called exit({exc.code!r}) before it finished\n")
        sys.stderr.flush()
        os._exit(1)
    except BaseException as exc:  # noqa: BLE001 - every failure of the program is reported
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)  # skip main()
        sys.stderr.flush()
        os._exit(1)
    sys.stdout.flush()
    sys.stdout.write(f"\n{token}\n")
    sys.stdout.flush()
    os._exit(0)  # no atexit handlers, no waiting for threads the program left behind


if __name__ == "__main__":
    main()
