#!/usr/bin/env bash
# Create or update the project's virtual environment in .venv (idempotent).
# Installs the package in editable mode with its dev/book extras, at the versions
# pinned in requirements-lock.txt (the versions the committed notebooks were
# executed with), and a Jupyter kernel inside the environment, so the chapters
# execute with this environment.
#
#   bash tools/setup-env.sh            # install (or do nothing if already current)
#   bash tools/setup-env.sh --relock   # after changing pyproject.toml: install the newest
#                                      # allowed versions and rewrite requirements-lock.txt
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi

if [ "${1:-}" = "--relock" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --upgrade -e ".[dev]"
  {
    echo "# The versions the committed notebooks were executed with; tools/setup-env.sh installs"
    echo "# them with 'pip install -c requirements-lock.txt'. Rewrite with: bash tools/setup-env.sh --relock"
    .venv/bin/python -m pip freeze --exclude-editable | grep -v "^-e " | LC_ALL=C sort -f
  } > requirements-lock.txt
  rm -f .venv/.installed-*
  echo "== requirements-lock.txt rewritten"
fi

# Reinstall only when the dependency list or the lock changed since the last install.
stamp=".venv/.installed-$(cat pyproject.toml requirements-lock.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "== installing mlsnn-edu and its dev/book extras into .venv (versions from requirements-lock.txt)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c requirements-lock.txt -e ".[dev]"
  .venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (mlsnn-edu)" >/dev/null
  rm -f .venv/.installed-*
  touch "$stamp"
fi
echo "== environment ready: $(.venv/bin/python -c 'import torch, mlsnn_edu; print("torch", torch.__version__, "| mlsnn_edu", mlsnn_edu.__version__)')"
