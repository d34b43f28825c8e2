#!/usr/bin/env bash
# Install bubblewrap (bwrap), the jail COPE runs generated programs in. Safe to rerun: it does
# nothing when bwrap is already there. Without bwrap COPE still runs, in a weaker rlimit-only
# sandbox, so a failed install warns and exits 0 unless --strict is given.
set -euo pipefail
strict=0
[ "${1:-}" = "--strict" ] && strict=1
say() { printf '\033[1m[sandbox]\033[0m %s\n' "$*"; }
give_up() {
  echo "[sandbox] WARNING: $*" >&2
  echo "[sandbox] generated code will run in the weaker rlimit sandbox (see docs/CODE.md)" >&2
  exit "$strict"
}

if ! command -v bwrap >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || give_up "no apt-get here; install bubblewrap yourself"
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    give_up "installing bubblewrap needs root: sudo apt-get install bubblewrap"
  fi
  say "installing bubblewrap"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${as_root[@]}" apt-get install -y -qq bubblewrap >/dev/null 2>&1; then
    "${as_root[@]}" apt-get update -qq >/dev/null 2>&1 || true
    "${as_root[@]}" apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
      || give_up "apt-get could not install bubblewrap"
  fi
fi

# bwrap needs user namespaces (or root) to start: check it can run a command at all.
if ! bwrap --unshare-pid --unshare-net --die-with-parent --ro-bind / / -- true 2>/dev/null; then
  give_up "bwrap is installed but cannot start a sandbox here (user namespaces disabled?)"
fi
