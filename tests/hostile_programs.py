"""Hostile programs the sandbox must contain, as data for tests/test_sandbox.py.

Each program runs to its end (and so would "pass") only if its attack worked; a contained
attack raises, is refused, or is killed. Placeholders in capitals are filled in by the test:
CANARY (absolute path of a file outside the sandbox), CANARY_DIR, PORT (a TCP listener on the
host), UNIX_SOCKET, MARKER (a unique word that any process left behind carries in its command
line) and TMP_TARGET (a file the test checks was never created).

``isolation_only`` marks attacks that only namespaces stop (reading host files, raising one's
own uid): rlimit mode does not claim to contain them and skips them. ``may_pass`` marks
programs whose visible end is legitimate inside the jail (they start a background process and
return); for them only containment is checked: nothing may be left running afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hostile:
    """One attack: a name, its source with placeholders, and how strictly it is judged."""

    name: str
    code: str
    isolation_only: bool = False
    may_pass: bool = False


_SPAWN_SLEEPER = (
    "import subprocess, sys\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', 'MARKER'],\n"
    "                 start_new_session=True)\n"
)

CORPUS: list[Hostile] = [
    # Files outside the working directory.
    Hostile("remove_canary", "import os\nos.remove('CANARY')\n"),
    Hostile("overwrite_canary", "open('CANARY', 'w').write('pwned')\n"),
    Hostile("append_canary", "open('CANARY', 'a').write('pwned')\n"),
    Hostile("rename_canary", "import os\nos.rename('CANARY', 'CANARY.moved')\n"),
    Hostile("chmod_canary", "import os\nos.chmod('CANARY', 0o777)\n"),
    Hostile("rmtree_canary_dir", "import shutil\nshutil.rmtree('CANARY_DIR')\n"),
    Hostile("shell_rm_canary", "import os\nassert os.system('rm CANARY') == 0\n"),
    Hostile("subprocess_rm_canary",
            "import subprocess\nsubprocess.run(['rm', 'CANARY'], check=True)\n"),
    Hostile("symlink_then_write",
            "import os\nos.symlink('CANARY', 'link')\nopen('link', 'w').write('pwned')\n"),
    Hostile("hardlink_then_write",
            "import os\nos.link('CANARY', 'hard')\nopen('hard', 'w').write('pwned')\n"),
    Hostile("unlink_via_dir_fd",
            "import os\nfd = os.open('CANARY_DIR', os.O_RDONLY)\n"
            "os.unlink('canary.txt', dir_fd=fd)\n"),
    Hostile("chdir_root_and_write",
            "import os\nos.chdir('/')\nopen('cope_pwned.txt', 'w').write('x')\n"),
    Hostile("write_host_tmp", "open('TMP_TARGET', 'w').write('pwned')\n"),
    Hostile("write_etc", "open('/etc/cope_pwned_MARKER', 'w').write('x')\n"),
    Hostile("open_interpreter_for_append", "import sys\nopen(sys.executable, 'ab').close()\n"),
    Hostile("read_canary", "assert open('CANARY').read()\n", isolation_only=True),
    Hostile("read_project_files",
            "import glob\nassert glob.glob('/work/*') or glob.glob('/root/*')\n",
            isolation_only=True),
    Hostile("fill_the_disk",
            "for i in range(400):\n    open(f'f{i}', 'wb').write(b'x' * (8 << 20))\n",
            isolation_only=True),
    Hostile("one_huge_file", "open('big', 'wb').write(b'x' * (200 << 20))\n"),
    # Processes.
    Hostile("fork_bomb", "import os\nwhile True:\n    os.fork()\n"),
    Hostile("subprocess_swarm",
            "import subprocess, sys\nkids = [subprocess.Popen([sys.executable, '-c',\n"
            "    'import time; time.sleep(600)', 'MARKER']) for _ in range(300)]\n"),
    Hostile("double_fork_daemon",
            "import os, sys\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            "        os.execv(sys.executable, [sys.executable, '-c',\n"
            "                 'import time; time.sleep(600)', 'MARKER'])\n    os._exit(0)\n"
            "os.wait()\n", may_pass=True),
    Hostile("background_new_session", _SPAWN_SLEEPER, may_pass=True),
    Hostile("kill_parent",
            "import os, time\nppid = os.getppid()\nos.kill(ppid, 9)\ntime.sleep(0.3)\n"
            "try:\n    os.kill(ppid, 0)\nexcept ProcessLookupError:\n    pass\n"
            "else:\n    raise SystemExit('parent still alive')\n"),
    Hostile("kill_parent_group",
            "import os\nos.killpg(os.getpgid(os.getppid()), 9)\n"),
    Hostile("become_root", "import os\nos.setuid(0)\nassert os.geteuid() == 0\n",
            isolation_only=True),
    Hostile("raise_memory_limit",
            "import resource\ninf = resource.RLIM_INFINITY\n"
            "resource.setrlimit(resource.RLIMIT_AS, (inf, inf))\nx = bytearray(3 << 30)\n"),
    # Time, memory, output.
    Hostile("endless_loop", "while True:\n    pass\n"),
    Hostile("sleep_forever", "import time\ntime.sleep(3600)\n"),
    Hostile("spinning_threads",
            "import threading\ndef spin():\n    while True:\n        pass\n"
            "ts = [threading.Thread(target=spin) for _ in range(4)]\n"
            "[t.start() for t in ts]\n[t.join() for t in ts]\n"),
    Hostile("memory_bomb_growing",
            "chunks = []\nwhile True:\n    chunks.append(bytearray(64 << 20))\n"),
    Hostile("memory_bomb_single", "x = bytearray(8 << 30)\n"),
    Hostile("huge_stdout", "while True:\n    print('x' * 4096)\n"),
    Hostile("huge_stderr", "import sys\nwhile True:\n    sys.stderr.write('y' * 4096)\n"),
    # Network.
    Hostile("connect_host_listener",
            "import socket\ns = socket.create_connection(('127.0.0.1', PORT), timeout=2)\n"
            "s.sendall(b'pwned MARKER')\n"),
    Hostile("connect_internet",
            "import socket\nsocket.create_connection(('pypi.org', 443), timeout=2).close()\n"),
    Hostile("connect_host_unix_socket",
            "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('UNIX_SOCKET')\n"
            "s.sendall(b'pwned MARKER')\n"),
    # Secrets.
    Hostile("read_api_key_env", "import os\nassert os.environ['OPENAI_API_KEY']\n"),
    Hostile("scan_proc_environ",
            "import glob\nfound = False\nfor p in glob.glob('/proc/[0-9]*/environ'):\n"
            "    try:\n        found |= b'OPENAI_API_KEY' in open(p, 'rb').read()\n"
            "    except OSError:\n        pass\nassert found\n"),
    # Faking success.
    Hostile("exit_zero_early", "import os\nos._exit(0)\nassert False\n"),
    Hostile("sys_exit_zero_early", "import sys\nsys.exit(0)\nassert False\n"),
]


def render(program: Hostile, values: dict[str, str]) -> str:
    """The program's source with every placeholder replaced (longest names first)."""
    code = program.code
    for key in sorted(values, key=len, reverse=True):
        code = code.replace(key, values[key])
    return code
