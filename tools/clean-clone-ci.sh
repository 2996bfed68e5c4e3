#!/usr/bin/env bash
# What CI does, here: clone HEAD of this checkout into a temporary folder, run .ci/run
# there (CI=true, a fresh .venv of about 7 GB), and delete the clone afterwards, pass or
# fail, so repeated checks do not fill the disk CI itself runs on.
#
#   bash tools/clean-clone-ci.sh        # prints .ci/run's output and exits with its status
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d -t mlsnn-clean-clone.XXXXXX)"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/repo"
echo "== clean clone of $(git -C "$repo" rev-parse --short HEAD) in $work/repo"
cd "$work/repo"
CI=true bash .ci/run
