"""The bubblewrap command line that builds the jail: an empty, read-only world around Python."""

from __future__ import annotations

import os
import sys
from pathlib import Path

CHILD = Path(__file__).with_name("sandbox_child.py")  # the launcher, mounted at /cope/launch.py


def interpreter() -> tuple[str, list[str]]:
    """The real interpreter binary, and the host folders it needs besides /usr."""
    exe = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    needed = {os.path.realpath(sys.base_prefix), os.path.dirname(exe)}
    outside_usr = sorted(p for p in needed if not (p == "/usr" or p.startswith("/usr/")))
    # Drop folders already inside another one on the list.
    return exe, [p for p in outside_usr if not any(p.startswith(q + "/") for q in outside_usr)]


def bwrap_argv(exe: str, folders: list[str], jobdir: str, disk_mb: int) -> list[str]:
    """bubblewrap options that build an empty, read-only world around the interpreter."""
    if os.geteuid() == 0:  # privileged bwrap: no user namespace, keep setuid to drop to a uid
        argv = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv = ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns"]
    argv += ["--die-with-parent", "--new-session", "--hostname", "sandbox",
             "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    for folder in folders:
        parents = list(reversed(Path(folder).parents))[1:]  # skip "/"
        for parent in parents:  # readable parents: the dropped uid must reach the folder
            argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", folder, folder]
    argv += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
             "--ro-bind-try", "/etc/localtime", "/etc/localtime",
             "--proc", "/proc", "--dev", "/dev",
             "--ro-bind", jobdir, "/cope/job", "--ro-bind", str(CHILD), "/cope/launch.py",
             "--perms", "1777", "--size", str(disk_mb << 20), "--tmpfs", "/sandbox",
             "--remount-ro", "/", "--chdir", "/sandbox", "--clearenv"]
    for key, value in child_env("/sandbox").items():
        argv += ["--setenv", key, value]
    # -I: ignore PYTHON* variables and user site; -S: no site-packages (stdlib only, and a
    # .pth file there can cost 30 ms of start-up).
    return argv + ["--", exe, "-I", "-S", "/cope/launch.py", "/cope/job/program.py"]


def child_env(home: str) -> dict[str, str]:
    """The whole environment a program gets: no keys, tokens or proxies from ours."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home,
            "TMPDIR": home}
