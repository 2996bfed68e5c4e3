"""Benchmark 5: one epoch of a sweep run, by part, for this code and an earlier commit.

    python benchmarks/sweep_epoch.py                     # widths 8 and 16, SEW and Sparse [T=1, N=4]
    python benchmarks/sweep_epoch.py --baseline 6ebe131  # the same, against that commit's library
    python benchmarks/sweep_epoch.py --quick             # width 2, one epoch, to check that it runs

Each measurement is one child process that trains a run of the CPU sweep
(``mlsnn-edu reproduce --sweep``: the digits, the paper's recipe, the whole
test set's activity every epoch) for ``--epochs`` epochs with one thread (as
the sweep's processes do; ``--threads`` to change it), and times each epoch's parts:

* ``train_s``: the training pass (loading the batches included);
* ``evaluate_s``: the rest of the epoch, the test pass and its activity record;
* ``checkpoint_s``: writing the checkpoint and the logs;
* ``load_s``: one pass over the training batches alone, no network (a part of ``train_s``).

With ``--baseline REV`` the same child also runs on a checkout of ``REV``
(a ``git worktree`` in a temporary folder), alternating with this code's child
(base, this, base, this, ...) so that a change of load touches both alike; both
train with this code's recipe.
The first epoch is left out of the medians (memory allocation, lazy set-up).
Prints the table the book's Performance appendix shows and writes ``sweep_epoch.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import sweep_epoch as sweep_epoch_table
from timing import RESULTS, environment, other_load_note, write_json

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = ("sew", "sparse")


class TimedLoader:
    """A data loader that records when each pass over it starts and ends (seconds)."""

    def __init__(self, loader) -> None:
        self.loader, self.passes = loader, []

    def __iter__(self):
        start = time.perf_counter()
        yield from self.loader
        self.passes.append((start, time.perf_counter()))

    def __len__(self) -> int:
        return len(self.loader)

    def __getattr__(self, name: str):
        return getattr(self.loader, name)


def child(network: str, width: int, settings: dict, threads: int) -> dict:
    """Train one sweep run as ``settings`` say, in a temporary folder; time each part.

    The trainer's loaders are wrapped to time its passes: the training pass is
    the pass over the training batches (each batch's step included); the test
    passes (evaluation, activity) are the rest of the epoch; the checkpoint is
    what happens between the end of an epoch (``on_epoch``) and the next pass.
    ``settings`` are the recipe's :class:`~mlsnn_edu.training.TrainConfig` fields, the
    same for every code measured.
    """
    import torch

    import mlsnn_edu
    from mlsnn_edu.experiments import SEW_N4, SPARSE_N4
    from mlsnn_edu.training import TrainConfig, Trainer

    torch.set_num_threads(threads)
    net = {"sew": SEW_N4, "sparse": SPARSE_N4}[network]
    epoch_ends: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        config = TrainConfig(
            model=net.model,
            timesteps=net.timesteps,
            levels=net.levels,
            width=width,
            seed=0,
            out_dir=str(Path(folder) / "run"),
            device="cpu",
            progress=False,
            activity_samples=10_000,  # as the sweep: the whole test set
            **settings,
        )
        trainer = Trainer(config)
        train, test = TimedLoader(trainer.train_loader), TimedLoader(trainer.test_loader)
        trainer.train_loader, trainer.test_loader = train, test
        try:
            history = trainer.fit(
                on_epoch=lambda epoch, record: epoch_ends.append(time.perf_counter())
            )
            finished = time.perf_counter()
            for _ in train.loader:
                pass
            load_s = time.perf_counter() - finished
        finally:
            trainer.close()
    epoch_s = [record["seconds"] for record in history]
    train_s = [end - start for start, end in train.passes]
    next_starts = [start for start, _ in train.passes[1:]] + [finished]
    return {
        "library": str(Path(mlsnn_edu.__file__).resolve().parent),
        "epoch_s": epoch_s,
        "train_s": train_s,
        "evaluate_s": [e - t for e, t in zip(epoch_s, train_s, strict=True)],
        "checkpoint_s": [after - end for end, after in zip(epoch_ends, next_starts, strict=True)],
        "load_s": load_s,
    }


def run_child(library_root: Path, network: str, width: int, epochs: int, threads: int) -> dict:
    """One measurement in a fresh process whose ``mlsnn_edu`` comes from ``library_root``.

    Every code trains with this code's sweep recipe, cut to ``epochs`` epochs.
    """
    from mlsnn_edu.experiments import PAPER_RECIPE

    settings = replace(PAPER_RECIPE, epochs=epochs).train_settings()
    command = [sys.executable, __file__, "--child", network, "--widths", str(width)]
    command += ["--settings", json.dumps(settings), "--threads", str(threads)]
    environ = os.environ | {"PYTHONPATH": str(library_root), "OMP_NUM_THREADS": str(threads)}
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=environ)
    result = json.loads(output.stdout.strip().splitlines()[-1])
    expected = (library_root / "mlsnn_edu").resolve()
    if Path(result["library"]) != expected:
        raise RuntimeError(f"the child imported {result['library']}, not {expected}")
    return result


def medians(results: list[dict], skip_first: bool) -> dict[str, float]:
    start = 1 if skip_first else 0
    row = {
        part: statistics.median(x for r in results for x in r[part][start:])
        for part in ("epoch_s", "train_s", "evaluate_s", "checkpoint_s")
    }
    row["load_s"] = statistics.median(r["load_s"] for r in results)
    return row


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=NETWORKS)
    parser.add_argument(
        "--epochs", type=int, default=3, help="epochs per child (first one left out)"
    )
    parser.add_argument("--repeats", type=int, default=2, help="children per code and setting")
    parser.add_argument("--baseline", help="a git revision to measure against (e.g. a commit)")
    parser.add_argument("--threads", type=int, default=1, help="threads per run (the sweep's: 1)")
    parser.add_argument("--quick", action="store_true", help="width 2, one epoch, one repeat")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--settings", type=json.loads, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.widths[0], args.settings, args.threads)))
        return None
    if args.quick:
        args.widths, args.epochs, args.repeats = [2], 1, 1
    env = environment(args.threads)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        codes = {"this": ROOT}
        if args.baseline:
            codes = {"baseline": Path(folder) / "baseline"} | codes
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet"]
                + [str(codes["baseline"]), args.baseline],
                check=True,
            )
        try:
            measured = measure(codes, args)
        finally:
            if args.baseline:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force"]
                    + [str(codes["baseline"])],
                    check=False,
                )
    rows = []
    for (code, network, width), results in measured.items():
        row = {"code": code, "network": network, "width": width}
        rows.append(row | medians(results, skip_first=args.epochs > 1))
    payload = {
        "benchmark": "sweep_epoch",
        "environment": {**env, **other_load_note(env, args.threads)},
        "baseline": args.baseline,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "wall_s": round(time.perf_counter() - started, 1),
        "rows": rows,
        "runs": {" ".join(map(str, key)): value for key, value in measured.items()},
    }
    print(sweep_epoch_table(payload))
    path = write_json(payload, args.out, "sweep_epoch.json")
    print(f"wrote {path}")
    return payload


def measure(codes: dict[str, Path], args) -> dict[tuple[str, str, int], list[dict]]:
    """Alternate the codes' children for every network and width, ``args.repeats`` times."""
    measured: dict[tuple[str, str, int], list[dict]] = {}
    for width in args.widths:
        for _ in range(args.repeats):
            for network in args.networks:
                for code, root in codes.items():
                    result = run_child(root, network, width, args.epochs, args.threads)
                    measured.setdefault((code, network, width), []).append(result)
                    print(f"{code} {network} w{width}: {result['epoch_s']}", flush=True)
    return measured


if __name__ == "__main__":
    main()
