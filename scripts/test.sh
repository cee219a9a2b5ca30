#!/usr/bin/env bash
# Install geogrid with its test extra into .venv (plus Debian chromium for the
# browser tests when we are root and it is missing), then run the checks:
# import-linter contracts, ruff, and the pytest suite.
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
# Debian packages: chromium (browser tests), poppler-utils (pdftoppm for printed
# sheets), fonts-wqy-microhei (Chinese text in screenshots).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: missing ${need[*]}; browser/print tests will be skipped" >&2
  fi
fi
.venv/bin/lint-imports
.venv/bin/ruff check geogrid webmap tests benchmarks
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
