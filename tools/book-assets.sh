#!/usr/bin/env bash
# Install the JavaScript the built book serves itself (idempotent): MathJax,
# RequireJS and the Jupyter widgets HTML manager, pinned in
# tools/book-assets/package-lock.json and installed with `npm ci` from the npm
# registry. book/_ext/offline_assets.py copies what a page needs into the build,
# so no page of the book asks a CDN for anything.
set -euo pipefail
cd "$(dirname "$0")/book-assets"

if ! command -v npm >/dev/null 2>&1; then
  echo "== npm not found: install Node.js and npm (e.g. 'apt-get install npm') to build the book" >&2
  exit 1
fi
# npm ci records the lock it installed in node_modules/.package-lock.json;
# skip when that matches the committed lock's package list.
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "== book assets up to date (tools/book-assets/node_modules)"
  exit 0
fi
echo "== installing the book's JavaScript assets (npm ci)"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "== book assets installed in tools/book-assets/node_modules"
