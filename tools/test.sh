#!/usr/bin/env bash
# Every check the project has, in one command (CI runs exactly this):
#
#   bash tools/test.sh          # everything: lint, format, drift, unit tests, the book as the
#                               # main command builds it, the notebook regression check on that
#                               # build's executed chapters, browser tests on that build
#   bash tools/test.sh --fast   # lint, format, drift and the unit tests without slow marks
#                               # (under two minutes on a 2-core laptop)
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage's heading says when it starts, in seconds since this script started.
stage() { echo "== [${SECONDS} s] $*"; }
stage "environment (tools/setup-env.sh)"
bash tools/setup-env.sh
unset MLSNN_EDU_FULL
export PYTHONHASHSEED=0
SOURCES=(mlsnn_edu tests tools benchmarks book/_ext notebooks/*.py)

stage "lint and format (ruff)"
.venv/bin/ruff check "${SOURCES[@]}"
.venv/bin/ruff format --check "${SOURCES[@]}"

stage "notebook drift (.py sources against executed .ipynb twins)"
.venv/bin/python tools/notebooks.py drift

if [ "${1:-}" = "--fast" ]; then
  stage "unit tests without slow marks"
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python -m pytest tests -q -p no:cacheprovider \
    -m "not browser and not slow" -n 2
  stage "fast checks passed (the full run: bash tools/test.sh)"
  exit 0
fi

# Two worker processes of one thread each: on two cores the small tensors of the tests run
# faster as two single-threaded processes than as one process with two threads.
stage "unit tests (2 workers)"
start=$SECONDS
OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python -m pytest tests -q -p no:cacheprovider \
  -m "not browser" -n 2 --durations=15
echo "== unit tests took $((SECONDS - start)) s"

stage "the book, built as the main command builds it (each chapter executed once, quick mode)"
bash tools/build-book.sh

# nbval's lax rules on the chapters the book build just executed (no second execution):
# a cell that raised, or a '# NBVAL_CHECK_OUTPUT' cell whose output differs from the
# committed notebooks/*.ipynb twin, fails; so does a hand-out (run in the same kernel)
# whose stub raised anything but its NotImplementedError, or whose solutions then failed.
stage "notebook regression (book/_build/executed against notebooks/*.ipynb, nbval's lax rules)"
.venv/bin/python tools/notebooks.py check book/_build/executed

stage "browser tests on that book and on the Voila explorers (headless Chromium, offline)"
bash tools/install-browser.sh
start=$SECONDS
# Two workers: each page waits mostly on Chromium and each explorer on its own kernel.
.venv/bin/python -m pytest tests/browser -m browser -q -p no:cacheprovider -n 2
echo "== browser tests took $((SECONDS - start)) s (screenshots in artifacts/)"

stage "all checks passed"
