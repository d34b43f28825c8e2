#!/usr/bin/env bash
# Install everything, then watch COPE solve 3 GSM8K problems with the bundled local models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/cope eval gsm8k --limit "${1:-3}" --out results/quickstart
