#!/usr/bin/env bash
# Resolve the dependencies into hashed locks (`make lock`; never edit a lock by hand):
#   requirements.lock      pyproject's runtime dependencies: what a service image installs
#   requirements-dev.lock  the runtime set at the same versions plus the `dev` extra: what
#                          scripts/setup.sh installs for make run / test / lint
#   requirements-localstack.lock  requirements-localstack.in: LocalStack's own venv
# To add a development dependency: put its pin in [project.optional-dependencies].dev of
# pyproject.toml, then run `make lock` (the runtime lock does not move). Existing pins are
# kept; `scripts/lock.sh --upgrade-package NAME` moves one transitive pin on purpose.
# The resolution is for Python 3.11 on Linux (the image, CI), and each pin carries the hashes of
# all its published files, so the same pins install on macOS too.
set -euo pipefail
cd "$(dirname "$0")/.."

UV=${UV:-.venv/bin/uv}
if [ ! -x "$UV" ]; then
  UV=$(command -v uv) || { echo "lock: no uv; run scripts/setup.sh first" >&2; exit 1; }
fi
compile() {  # python version, then uv's arguments
  local python=$1
  shift
  "$UV" pip compile --quiet --python-version "$python" --python-platform linux --generate-hashes \
    --custom-compile-command "make lock" "$@"
}
compile 3.11 pyproject.toml -o requirements.lock "$@"
# The runtime lock as constraints: the dev environment runs exactly what the image runs.
compile 3.11 pyproject.toml --extra dev -c requirements.lock -o requirements-dev.lock "$@"
# LocalStack's own virtualenv: setup-localstack.sh picks Python 3.13 first, and LocalStack 4.14
# imports warnings.deprecated (3.13); requirements-localstack.in says why its caps.
compile 3.13 requirements-localstack.in -o requirements-localstack.lock "$@"
echo "lock: wrote requirements.lock, requirements-dev.lock and requirements-localstack.lock"
