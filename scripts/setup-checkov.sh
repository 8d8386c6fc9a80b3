#!/usr/bin/env bash
# checkov for the Terraform checks of the test suite (`make test`; not `make run`, which does
# not need it). It pins an older boto3 than the services use, so it lives in a venv of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
CHECKOV_VENV=.venv-checkov
CHECKOV_VERSION=3.3.30
if [ ! -x "$CHECKOV_VENV/bin/checkov" ]; then
  echo "setup-checkov: installing checkov $CHECKOV_VERSION into $CHECKOV_VENV"
  "$PYTHON" -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi
