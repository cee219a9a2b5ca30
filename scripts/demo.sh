#!/usr/bin/env bash
# Install geogrid into .venv, build the demo area if needed, and serve the web app.
# Usage: bash scripts/demo.sh [--host 127.0.0.1] [--port 5000]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/geogrid-web --demo "$@"
