#!/usr/bin/env bash
# Install the ALFWorld text engine (requirements/alfworld.txt) into the active Python environment.
# Safe to rerun: source-only packages are built into wheels once and cached in
# ${COPE_WHEEL_CACHE:-~/.cache/cope/wheels}; pip leaves exact versions already there alone.
# Use another interpreter with PYTHON=/path/to/python scripts/install_alfworld.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[alfworld]\033[0m %s\n' "$*"; }

py="${PYTHON:-python}"
command -v "$py" >/dev/null 2>&1 || { echo "[alfworld] no '$py' on PATH; activate the venv" >&2; exit 1; }
# The source builds call a bare `python`; it must be this interpreter, not a pyenv shim.
bin_dir="$("$py" -c 'import os, sys; print(os.path.dirname(sys.executable))')"
export PATH="$bin_dir:$PATH"
if [ "$("$py" -c 'import sys; print(sys.prefix != sys.base_prefix)')" != "True" ]; then
  echo "[alfworld] WARNING: $py is not a virtual environment; installing into it anyway" >&2
fi

cache="${COPE_WHEEL_CACHE:-$HOME/.cache/cope/wheels}"
mkdir -p "$cache"
pin() { grep -E "^$1==" requirements/alfworld.txt | head -n1; }

# jericho and fast-downward-textworld publish no wheels: build each once (minutes of C/C++).
for name in fast-downward-textworld jericho; do
  spec="$(pin "$name")"
  version="${spec#*==}"
  file_stem="${name//-/_}-${version}-"
  if ls "$cache/$file_stem"*.whl >/dev/null 2>&1; then
    say "using cached wheel for $spec"
  else
    say "building $spec (one time; a few minutes)"
    nice -n 10 "$py" -m pip wheel --no-deps "$spec" -w "$cache"
  fi
done

say "installing requirements/alfworld.txt (--no-deps: the file pins the whole closure)"
"$py" -m pip install --no-deps --find-links "$cache" -r requirements/alfworld.txt

# numpy, tqdm and networkx come from requirements/lock.txt; say so if they are missing.
"$py" - <<'EOF'
import importlib, sys
missing = [m for m in ("numpy", "tqdm", "networkx") if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"[alfworld] missing {', '.join(missing)}: install requirements/lock.txt first")
from importlib.metadata import version
import textworld, fast_downward, alfworld.agents.environment.alfred_tw_env  # noqa: F401,E401
print(f"[alfworld] ok: textworld {version('textworld')}, alfworld {version('alfworld')}")
EOF
