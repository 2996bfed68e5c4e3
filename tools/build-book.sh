#!/usr/bin/env bash
# The main job: set up the environment, execute every chapter in quick mode
# (embedded data, no network) and build the book into book/_build/html.
# Warnings are errors, so a chapter that fails to execute fails the build.
#
#   bash tools/build-book.sh                    # execute every chapter, build book/_build/html
#   bash tools/build-book.sh --no-execute DIR   # render the committed executed .ipynb twins
#                                               # as they are into DIR/html (the browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-env.sh
bash tools/book-assets.sh
unset MLSNN_EDU_FULL
export MPLBACKEND=Agg

if [ "${1:-}" = "--no-execute" ]; then
  out=${2:?usage: tools/build-book.sh --no-execute OUTPUT_DIR}
  mkdir -p "$out"
  # The same config with execution off; local extension paths made absolute,
  # since Jupyter Book resolves them against the config file's folder.
  .venv/bin/python - "$out/_config.yml" <<'PY'
import sys
from pathlib import Path

import yaml

book = Path("book").resolve()
config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
config.setdefault("execute", {})["execute_notebooks"] = "off"
extensions = config.get("sphinx", {}).get("local_extensions") or {}
for name, folder in extensions.items():
    extensions[name] = str(book / folder)
Path(sys.argv[1]).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
PY
  start=$SECONDS
  .venv/bin/jupyter-book build book --config "$out/_config.yml" --path-output "$out" -W -n --keep-going
  echo "== book rendered without execution in $((SECONDS - start)) s: $out/html/index.html"
  exit 0
fi

rm -rf book/_build
start=$SECONDS
.venv/bin/jupyter-book build book -W -n --keep-going
echo "== book built in $((SECONDS - start)) s: book/_build/html/index.html"
