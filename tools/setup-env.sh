#!/usr/bin/env bash
# Create or update the project's virtual environment in .venv (idempotent).
# Installs the package in editable mode with its dev/book extras, and a Jupyter
# kernel inside the environment, so chapters execute with this environment.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi

# Reinstall only when the dependency list changed since the last install.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "== installing mlsnn-edu and its dev/book extras into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  .venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (mlsnn-edu)" >/dev/null
  rm -f .venv/.installed-*
  touch "$stamp"
fi
echo "== environment ready: $(.venv/bin/python -c 'import torch, mlsnn_edu; print("torch", torch.__version__, "| mlsnn_edu", mlsnn_edu.__version__)')"
