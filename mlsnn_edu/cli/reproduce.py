"""``mlsnn-edu reproduce``: the paper's comparisons (quick or paper scale), or the sweep."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from mlsnn_edu.cli.arguments import add_device_argument, non_negative_int, positive_int
from mlsnn_edu.experiments.reproduce import PAPER_DATASETS, results_table, run_experiments
from mlsnn_edu.experiments.results import COMMITTED_RESULTS
from mlsnn_edu.experiments.summary import summary_table
from mlsnn_edu.experiments.sweep import RECIPES, cpu_sweep, grid, run_sweep
from mlsnn_edu.files import check_output_dir
from mlsnn_edu.settings import resolve_device


def add_reproduce_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu reproduce [--quick | --sweep] [--dataset NAME] [--out DIR]``."""
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        action="store_true",
        help="narrow networks, a few epochs, on the embedded digits (minutes on a laptop CPU)",
    )
    mode.add_argument(
        "--sweep",
        action="store_true",
        help="the claims across widths and seeds on the digits, written to --results as JSON",
    )
    parser.add_argument(
        "--widths",
        type=positive_int,
        nargs="+",
        help="--sweep: ANN, SEW and Sparse [T=1, N=4] at these widths only (e.g. 64 on a GPU); "
        "default: the whole CPU sweep",
    )
    parser.add_argument(
        "--seeds",
        type=non_negative_int,
        nargs="+",
        help="--sweep with --widths: seeds (default 0 1 2 3 4)",
    )
    parser.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        default="paper-sgd",
        help="--sweep: how to train (default paper-sgd: SGD lr 0.08, cosine; adam-contrast "
        "is the first sweep's Adam recipe)",
    )
    parser.add_argument(
        "--threads", type=positive_int, help="--sweep: torch threads (recorded in every result)"
    )
    parser.add_argument(
        "--allow-uncommitted",
        action="store_true",
        help="--sweep: run although the library has uncommitted changes (a trial, not a result)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=COMMITTED_RESULTS,
        help="--sweep: folder of the run files (default: the package's committed results)",
    )
    add_device_argument(parser)
    parser.add_argument(
        "--dataset",
        choices=PAPER_DATASETS,
        default="cifar10",
        help="paper scale only: which configs to run (default cifar10)",
    )
    parser.add_argument("--configs", type=Path, default=Path("configs"), help="default configs/")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the runs, each resuming from its checkpoint (default "
        "runs/reproduce-quick; runs/sweep with --sweep; at paper scale, each config's out_dir)",
    )
    parser.add_argument(
        "--download", action="store_true", help="paper scale: download the dataset if needed"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def reproduce_command(args: argparse.Namespace) -> int:
    """Run the paper's comparisons (or the sweep) and print one table and the wall time."""
    start = time.perf_counter()
    if args.sweep:
        return sweep_command(args, start)
    device = str(resolve_device(args.device))  # a bad --device stops here, before any run
    out_root = args.out or (Path("runs/reproduce-quick") if args.quick else None)
    if out_root is not None:
        check_output_dir(out_root, "--out")
    results = run_experiments(
        quick=args.quick,
        out_root=out_root,
        dataset=args.dataset,
        configs_dir=args.configs,
        progress=not args.no_progress,
        download=args.download,
        device=device,
    )
    scale = "quick mode, embedded digits" if args.quick else f"paper scale, {args.dataset}"
    print(f"\nThe paper's comparisons ({scale}); activity per test sample, summed over T")
    print(results_table(results))
    print(f"wall time: {time.perf_counter() - start:.0f} s")
    return 0


def sweep_command(args: argparse.Namespace, start: float) -> int:
    """``reproduce --sweep``: train what the results folder lacks, then print its summary."""
    runs_dir = check_output_dir(args.out or Path("runs/sweep"), "--out")
    check_output_dir(args.results, "--results")
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.widths:
        widths = tuple(dict.fromkeys(args.widths))
        plan = grid(widths, tuple(dict.fromkeys(args.seeds or range(5))))
    elif args.seeds:
        raise ValueError("--seeds needs --widths (the default CPU sweep sets its own seeds)")
    else:
        plan = cpu_sweep()
    written = run_sweep(
        plan,
        recipe=RECIPES[args.recipe],
        results_dir=args.results,
        runs_dir=runs_dir,
        device=args.device or "auto",
        progress=not args.no_progress,
        command=args.command_line,
        allow_uncommitted=args.allow_uncommitted,
    )
    print(summary_table(args.results))
    print(
        f"wrote {len(written)} run file(s) to {args.results}; "
        f"wall time {time.perf_counter() - start:.0f} s"
    )
    return 0
