#!/usr/bin/env bash
# Install geogrid with its test and serve extras into .venv (plus, when we are root,
# the Debian packages the tests use: chromium, poppler-utils, fonts-wqy-microhei,
# PostgreSQL 15 + PostGIS 3, Redis), then run the checks: import-linter contracts,
# ruff, mypy (strict), and the pytest suite with PostgreSQL and Redis started for it
# (and stopped at the end).
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test,serve]'
# Debian packages: chromium (browser tests), poppler-utils (pdftoppm for printed
# sheets), fonts-wqy-microhei (Chinese text in screenshots).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
# PostgreSQL 15 + PostGIS 3 (store tests) and Redis (job tests), started below
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
[ -e /usr/share/postgresql/15/extension/postgis.control ] || need+=(postgresql-15-postgis-3)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: missing ${need[*]}; the tests that need them will be skipped, saying why" >&2
  fi
fi
.venv/bin/lint-imports
.venv/bin/ruff check geogrid webmap tests benchmarks
.venv/bin/mypy
# Services for the tests: started here when root (and not running yet), stopped at exit;
# without them the tests that need them skip and say why.
started=()
stop_services() {
  for s in "${started[@]}"; do
    case $s in
      postgresql) pg_ctlcluster 15 main stop || true ;;
      redis) redis-cli -p 6379 shutdown nosave >/dev/null 2>&1 || true ;;
    esac
  done
}
trap stop_services EXIT
if [ "$(id -u)" = 0 ] && [ -e /usr/share/postgresql/15/extension/postgis.control ]; then
  [ -d /etc/postgresql/15/main ] || pg_createcluster 15 main >/dev/null
  if ! pg_lsclusters -h | awk '$1 == 15 && $2 == "main" && $4 ~ /online/' | grep -q .; then
    pg_ctlcluster 15 main start && started+=(postgresql)
  fi
  port=$(pg_lsclusters -h | awk '$1 == 15 && $2 == "main" {print $3}')
  su postgres -c "psql -q -p $port -v ON_ERROR_STOP=1" >/dev/null <<'SQL'
SET client_min_messages TO warning;
SELECT 'CREATE ROLE geogrid_test LOGIN PASSWORD ''geogrid_test'''
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'geogrid_test')\gexec
SELECT 'CREATE DATABASE geogrid_test OWNER geogrid_test'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'geogrid_test')\gexec
\c geogrid_test
SET client_min_messages TO warning;
CREATE EXTENSION IF NOT EXISTS postgis;
SQL
  export GEOGRID_TEST_DB="postgresql+psycopg://geogrid_test:geogrid_test@127.0.0.1:$port/geogrid_test"
fi
if [ "$(id -u)" = 0 ] && command -v redis-server >/dev/null 2>&1; then
  if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 >/dev/null && started+=(redis)
  fi
  export GEOGRID_TEST_REDIS="redis://127.0.0.1:6379/0"
fi
.venv/bin/python -m pytest "$@"
