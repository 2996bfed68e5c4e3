#!/usr/bin/env bash
# The main job: set up the environment, execute every chapter in quick mode
# (embedded data, no network) and build the book into book/_build/html.
# Warnings are errors, so a chapter that fails to execute fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-env.sh
unset MLSNN_EDU_FULL
export MPLBACKEND=Agg
rm -rf book/_build
start=$SECONDS
.venv/bin/jupyter-book build book -W -n --keep-going
echo "== book built in $((SECONDS - start)) s: book/_build/html/index.html"
