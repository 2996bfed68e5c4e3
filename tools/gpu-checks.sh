#!/usr/bin/env bash
# The checks that need a GPU, in one command, for a bare GPU machine with PyTorch (nothing is
# installed: the checkout runs from PYTHONPATH). The sweep records the commit, so the copy needs
# this checkout's .git; where a copying tool will not take .git, copy it to an ignored folder
# and restore it there first (rm -rf .git && cp -r .gitsnap .git).
#
#   bash tools/gpu-checks.sh OUT_DIR
#
# Each stage under its own time limit, so that a slow one leaves the rest their time:
#   1. tests/gpu (first: they say whether the rest can be trusted);
#   2. the sweep's width-64 part (ANN, SEW and Sparse [T=1, N=4], seeds 0-4, the paper's
#      recipe), SWEEP_PROCESSES processes sharing the work on the one GPU; the new run files
#      land in mlsnn_edu/committed_results/sweep and are packed into OUT_DIR/sweep_wWIDTH.tar.gz;
#   3. benchmarks/gpu_epoch.py (one CIFAR-sized epoch, bf16: Sparse-ResNet18 against the ANN).
# Logs go to OUT_DIR. The exit status is the first failing stage's (0 when all passed).
# Environment: SWEEP_WIDTH (64), SWEEP_SEEDS ("0 1 2 3 4"),
# SWEEP_PROCESSES (4), SWEEP_LIMIT_S (300), SWEEP_RESULTS (the committed folder),
# SWEEP_DEVICE (cuda), TESTS_LIMIT_S (120), EPOCH_BUDGET_S (60).
set -uo pipefail
mkdir -p "${1:?usage: bash tools/gpu-checks.sh OUT_DIR}"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
# The copied checkout may belong to another user than the one running here.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
stage() { echo "== [${SECONDS} s] $*"; }
status=0
failed() { # failed STAGE CODE: report a stage's failure and keep the first one for the exit
  echo "!! $1 failed with status $2"
  [ "$status" -ne 0 ] || status=$2
}

stage "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
git rev-parse HEAD || echo "no git here: the sweep will refuse (provenance needs the commit)"

stage "1. tests/gpu"
timeout "${TESTS_LIMIT_S:-120}" python3 -m pytest tests/gpu -q -p no:cacheprovider \
  >"$out/tests_gpu.log" 2>&1 || failed "tests/gpu (the sweep's numbers below need them)" $?
tail -n 15 "$out/tests_gpu.log"

results=${SWEEP_RESULTS:-mlsnn_edu/committed_results/sweep}
width=${SWEEP_WIDTH:-64}
stage "2. sweep, width $width, seeds ${SWEEP_SEEDS:-0 1 2 3 4}"
started=$(mktemp) # run files written after this one are this sweep's (new or replaced)
pids=()
for k in $(seq 1 "${SWEEP_PROCESSES:-4}"); do
  # shellcheck disable=SC2086  # the seeds are a list
  timeout "${SWEEP_LIMIT_S:-300}" python3 -m mlsnn_edu reproduce --sweep --results "$results" \
    --device "${SWEEP_DEVICE:-cuda}" --widths "$width" \
    --seeds ${SWEEP_SEEDS:-0 1 2 3 4} --threads 2 --no-progress \
    >"$out/sweep_$k.log" 2>&1 &
  pids+=($!)
  sleep 5 # let each process take its first run before the next looks
done
for pid in "${pids[@]}"; do wait "$pid" || failed "a sweep process" $?; done
# Finished run files only: write_atomically's temporary files start with a dot.
(cd "$results" && find . -maxdepth 1 -name '*.json' ! -name '.*' -newer "$started" -print0 |
  tar czf "$out/sweep_w$width.tar.gz" --null -T -)
rm -f "$started"
echo "run files written: $(tar tzf "$out/sweep_w$width.tar.gz" | grep -c json)"
tail -n 25 "$out/sweep_1.log"

stage "3. benchmarks/gpu_epoch.py"
budget=${EPOCH_BUDGET_S:-60}
timeout $((${budget%.*} + 90)) python3 benchmarks/gpu_epoch.py --out "$out" --budget-s "$budget" \
  --variants sparse ann >"$out/gpu_epoch.log" 2>&1 || failed "benchmarks/gpu_epoch.py" $?
tail -n 15 "$out/gpu_epoch.log"
# At most 8 files come back from a device machine: the logs travel as one archive.
(cd "$out" && tar czf logs.tar.gz -- *.log && rm -f -- sweep_*.log tests_gpu.log gpu_epoch.log)
stage "done (status $status)"
exit "$status"
