#!/usr/bin/env bash
# Prepare a fresh machine: a Python 3.11 virtualenv with the locked dependencies (hashed), and the
# PostgreSQL server binaries the embedded stack and the tests run. Idempotent and quick
# when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=.venv
STAMP=$VENV/.installed

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1 \
    && [ -z "${PG_BIN:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing the PostgreSQL server (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "setup: PostgreSQL server binaries not found; install 'postgresql' or set PG_BIN" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
# Both locks, each pin checked against its hashes: the runtime set and the development tools.
if [ ! -f "$STAMP" ] || [ requirements.lock -nt "$STAMP" ] || [ requirements-dev.lock -nt "$STAMP" ]; then
  echo "setup: installing locked dependencies"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
    -r requirements.lock -r requirements-dev.lock
  touch "$STAMP"
fi
