#!/usr/bin/env bash
# The main job: set up the environment, execute every chapter in quick mode
# (embedded data, no network) and build the book into book/_build/html.
# Warnings are errors (-W), and --keep-going reports every one before failing,
# so a chapter that fails to execute fails the build.
#
#   bash tools/build-book.sh
#
# The chapters run in Jupyter kernels with the environment as it is: no
# plotting backend is forced on them (MPLBACKEND=Agg would make plt.show() emit
# no figure). book/_build/build-info.json records what was built, from which
# commit, and how long it took; the browser tests read it to be sure they test
# this build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-env.sh
bash tools/book-assets.sh
unset MLSNN_EDU_FULL MPLBACKEND

rm -rf book/_build
start=$SECONDS
.venv/bin/jupyter-book build book -W -n --keep-going
seconds=$((SECONDS - start))
.venv/bin/python - "$seconds" <<'PY'
import json
import subprocess
import sys
import time
from pathlib import Path

commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
info = {
    "built_by": "tools/build-book.sh",
    "executed": True,
    "mode": "quick",
    "commit": commit or "unknown",
    "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    "seconds": int(sys.argv[1]),
}
Path("book/_build/build-info.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
PY
echo "== book built in ${seconds} s: book/_build/html/index.html"
