#!/usr/bin/env bash
# Every check the project has, in one command: set up the environment, lint,
# unit tests, browser tests (the offline book and the Voila explorer in Debian's
# Chromium), notebook regression (nbval, lax) and the .py/.ipynb drift check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-env.sh
unset MLSNN_EDU_FULL
export MPLBACKEND=Agg PYTHONHASHSEED=0

echo "== lint (ruff)"
.venv/bin/ruff check mlsnn_edu tests tools benchmarks book/_ext

echo "== notebook drift (.py sources against executed .ipynb twins)"
.venv/bin/python tools/notebooks.py drift

echo "== unit tests"
.venv/bin/python -m pytest tests -q -p no:cacheprovider -m "not browser"

echo "== browser tests (headless Chromium: every page of the book offline, the Voila explorer)"
bash tools/install-browser.sh
start=$SECONDS
.venv/bin/python -m pytest tests/browser -m browser -q -p no:cacheprovider
echo "== browser tests took $((SECONDS - start)) s (screenshots in artifacts/)"

echo "== notebook regression (nbval, lax)"
.venv/bin/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
  -q -p no:cacheprovider notebooks/

echo "== all checks passed"
