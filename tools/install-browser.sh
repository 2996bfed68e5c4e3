#!/usr/bin/env bash
# Install Debian's headless-capable Chromium for the browser tests (idempotent).
# Playwright drives this binary (/usr/bin/chromium); it never downloads a browser
# of its own. Installing needs root (CI runs as root); elsewhere the script only
# says what is missing and the browser tests skip with that reason.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "== chromium present: $(chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "== chromium not found and not root: install it with 'sudo apt-get install chromium'" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "== chromium not found and no apt-get here: install Chromium by hand" >&2
  exit 0
fi
echo "== installing Debian's chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "== chromium installed: $(chromium --version 2>/dev/null)"
