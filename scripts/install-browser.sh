#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/tracking/test_browser.py): Debian's
# `chromium` and `chromium-driver` packages. Idempotent: does nothing when /usr/bin/chromium
# is already there. Needs root and apt-get; exits 2 (with the reason) when it cannot install.
# Playwright drives this binary (executable_path=/usr/bin/chromium); never run
# `playwright install`, which downloads browser builds of its own.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: $CHROMIUM is missing and apt-get is not available" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-browser: $CHROMIUM is missing; run as root (or: sudo apt-get install chromium chromium-driver)" >&2
  exit 2
fi
echo "install-browser: installing chromium and chromium-driver (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
"$CHROMIUM" --version
