#!/usr/bin/env bash
# LocalStack's own virtualenv, .venv-localstack, from requirements-localstack.lock: for
# `make run AWS=localstack` and the tests in tests/localstack/ (infra/local/localstack.py).
# LocalStack needs Python >= 3.12 while the services run on 3.11, and it pins its own boto3,
# so it never shares .venv. Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${LOCALSTACK_VENV:-.venv-localstack}
LOCK=requirements-localstack.lock
STAMP=$VENV/.installed

is_recent_python() {
  "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1
}

find_python() {
  local candidate pyenv_root
  pyenv_root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for candidate in "${LOCALSTACK_PYTHON:-}" python3.13 python3.12 \
      "$pyenv_root"/versions/3.13*/bin/python3 "$pyenv_root"/versions/3.12*/bin/python3; do
    if [ -n "$candidate" ] && is_recent_python "$candidate"; then
      command -v "$candidate" || echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ -x "$VENV/bin/python" ] && ! is_recent_python "$VENV/bin/python"; then
  echo "setup-localstack: $VENV is older than Python 3.12; recreating it"
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  if ! PYTHON=$(find_python); then
    echo "setup-localstack: LocalStack needs Python >= 3.12 (python3.12 or python3.13 on PATH," \
      "or LOCALSTACK_PYTHON=/path/to/python3.12)" >&2
    exit 1
  fi
  echo "setup-localstack: creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$STAMP" ] || [ "$LOCK" -nt "$STAMP" ]; then
  echo "setup-localstack: installing LocalStack from $LOCK (about a minute, once)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$LOCK"
  touch "$STAMP"
fi
