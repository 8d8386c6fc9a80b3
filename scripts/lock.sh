#!/usr/bin/env bash
# Resolve pyproject.toml into the two hashed locks (`make lock`; never edit a lock by hand):
#   requirements.lock      the runtime dependencies: what a service image installs
#   requirements-dev.lock  the runtime set at the same versions plus the `dev` extra: what
#                          scripts/setup.sh installs for make run / test / lint
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
compile() {
  "$UV" pip compile --quiet --python-version 3.11 --python-platform linux --generate-hashes \
    --custom-compile-command "make lock" "$@"
}
compile pyproject.toml -o requirements.lock "$@"
# The runtime lock as constraints: the dev environment runs exactly what the image runs.
compile pyproject.toml --extra dev -c requirements.lock -o requirements-dev.lock "$@"
echo "lock: wrote requirements.lock and requirements-dev.lock"
