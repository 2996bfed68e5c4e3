#!/usr/bin/env bash
# Every check the project has, in one command: set up the environment, lint,
# unit tests, notebook regression (nbval, lax) and the .py/.ipynb drift check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-env.sh
unset MLSNN_EDU_FULL
export MPLBACKEND=Agg PYTHONHASHSEED=0

echo "== lint (ruff)"
.venv/bin/ruff check mlsnn_edu tests tools benchmarks

echo "== notebook drift (.py sources against executed .ipynb twins)"
.venv/bin/python tools/notebooks.py drift

echo "== unit tests"
.venv/bin/python -m pytest tests -q -p no:cacheprovider

echo "== notebook regression (nbval, lax)"
.venv/bin/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
  -q -p no:cacheprovider notebooks/

echo "== all checks passed"
