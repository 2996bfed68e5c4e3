#!/usr/bin/env bash
# The main job: set up the environment, execute every chapter in quick mode
# (embedded data, no network) and build the book into book/_build/html.
#
#   bash tools/build-book.sh
#   BOOK_OUT=/tmp/trial bash tools/build-book.sh notebooks/03_*.py   # a trial, in /tmp/trial/_build
#
# Named chapters are the only ones executed; the others are rendered from their
# committed twins, and build-info.json says "executed": false, which the browser
# tests refuse: only the whole build is the book they test.
#
# Each chapter executes once per build, and that one execution serves both the
# book and the notebook regression check (tools/notebooks.py check, which
# tools/test.sh runs after this):
#
# 1. tools/notebooks.py executes every notebooks/NN_*.py source in a fresh
#    kernel into $BUILD/executed/NN_*.ipynb (the committed twins in notebooks/
#    are not touched). The kernel runs the chapter's hand-out (solutions
#    stubbed) and then the solutions, so the same run checks the hand-out;
#    tools/notebooks.py check reports what it found. Chapters run side by side,
#    one per core (at most 4), each kernel with cores / jobs threads. A chapter
#    whose cell fails is reported with its traceback and the build stops after
#    trying every chapter.
# 2. $BUILD/source/ is the book's source as book/ has it (links to its pages,
#    _config.yml, _toc.yml and _ext/), except that chapters/ is the folder of
#    executed notebooks, so pages keep their addresses (chapters/NN_*.html).
# 3. Jupyter Book renders that source into $BUILD/html without executing
#    anything (book/_config.yml: execute_notebooks: "off"); warnings are errors
#    (-W) and --keep-going reports every one before failing.
#
# The chapters run in Jupyter kernels with the environment as it is: no
# plotting backend is forced on them (MPLBACKEND=Agg would make plt.show() emit
# no figure). $BUILD/build-info.json records what was built, from which commit,
# and how long each step and each chapter took; the browser tests read it to be
# sure they test this build. $BUILD is book/_build, or $BOOK_OUT/_build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-env.sh
bash tools/book-assets.sh
unset MLSNN_EDU_FULL MPLBACKEND

OUT=${BOOK_OUT:-book}
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
BUILD="$OUT/_build"
rm -rf "$BUILD"
mkdir -p "$BUILD/source"
start=$SECONDS

echo "== executing the chapters (once) into $BUILD/executed"
.venv/bin/python tools/notebooks.py execute --out "$BUILD/executed" "$@"
executed=$SECONDS

# book/_ext/offline_assets.py finds the npm packages at <source folder>/../tools/book-assets.
ln -s "$PWD/tools" "$BUILD/tools"
for entry in book/*; do
  name=$(basename "$entry")
  case "$name" in _build | chapters) ;; *) ln -s "$PWD/$entry" "$BUILD/source/$name" ;; esac
done
mkdir "$BUILD/source/chapters"
for source in notebooks/[0-9][0-9]_*.py; do
  name=$(basename "$source" .py).ipynb
  if [ -f "$BUILD/executed/$name" ]; then
    ln -s "../../executed/$name" "$BUILD/source/chapters/$name"
  else
    ln -s "$PWD/notebooks/$name" "$BUILD/source/chapters/$name"  # a trial: the committed twin
  fi
done

echo "== rendering the book from the executed chapters"
.venv/bin/jupyter-book build "$BUILD/source" --path-output "$OUT" -W -n --keep-going
seconds=$((SECONDS - start))
.venv/bin/python - "$BUILD" "$seconds" "$((executed - start))" "$#" <<'PY'
import json
import subprocess
import sys
import time
from pathlib import Path

build, seconds, executing = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
every_chapter = sys.argv[4] == "0"  # no chapter named: every one executed by this build
commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
execution = json.loads((build / "executed" / "execution.json").read_text(encoding="utf-8"))
info = {
    "built_by": "tools/build-book.sh",
    "executed": every_chapter,
    "mode": "quick",
    "commit": commit or "unknown",
    "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    "seconds": seconds,
    "execute_seconds": executing,
    "render_seconds": seconds - executing,
    "chapter_seconds": execution["seconds"],
    "executed_notebooks": str(build / "executed"),
}
(build / "build-info.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
PY
echo "== book built in ${seconds} s (chapters executed in $((executed - start)) s): $BUILD/html/index.html"
