"""``mlsnn-edu reproduce``: the paper's comparisons (quick or paper scale), or the sweep."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from mlsnn_edu.cli.arguments import add_device_argument, positive_int, seed
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
        type=seed,
        nargs="+",
        help="--sweep with --widths: seeds (default 0 1 2 3 4)",
    )
    parser.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
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
        help="--sweep: folder of the run files (default: the package's committed results)",
    )
    add_device_argument(parser)
    parser.add_argument(
        "--dataset",
        choices=PAPER_DATASETS,
        help="paper scale only: which configs to run (default cifar10)",
    )
    parser.add_argument("--configs", type=Path, help="paper scale only: default configs/")
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


#: The options only one mode reads; given in another mode they are refused, not ignored.
MODE_OPTIONS = {
    "--sweep": ("widths", "seeds", "recipe", "threads", "allow_uncommitted", "results"),
    "paper scale": ("dataset", "configs", "download"),
}


def refuse_ignored_options(args: argparse.Namespace) -> None:
    """Raise ``ValueError`` naming the options given that this mode would not read."""
    mode = "--sweep" if args.sweep else "--quick" if args.quick else "paper scale"
    for owner, names in MODE_OPTIONS.items():
        given = [name for name in names if getattr(args, name) not in (None, False)]
        if given and owner != mode:
            options = " ".join("--" + name.replace("_", "-") for name in given)
            them = "it" if len(given) == 1 else "them"
            switch = f"run without {mode}" if owner == "paper scale" else f"run {owner}"
            raise ValueError(
                f"{options}: only {owner} reads {them}, and this is {mode}; drop {them}, "
                f"or {switch}"
            )


def reproduce_command(args: argparse.Namespace) -> int:
    """Run the paper's comparisons (or the sweep) and print one table and the wall time."""
    start = time.perf_counter()
    refuse_ignored_options(args)
    if args.sweep:
        return sweep_command(args, start)
    device = str(resolve_device(args.device))  # a bad --device stops here, before any run
    out_root = args.out or (Path("runs/reproduce-quick") if args.quick else None)
    if out_root is not None:
        check_output_dir(out_root, "--out")
    dataset = args.dataset or "cifar10"
    results = run_experiments(
        quick=args.quick,
        out_root=out_root,
        dataset=dataset,
        configs_dir=args.configs or Path("configs"),
        progress=not args.no_progress,
        download=args.download,
        device=device,
    )
    scale = "quick mode, embedded digits" if args.quick else f"paper scale, {dataset}"
    print(f"\nThe paper's comparisons ({scale}); activity per test sample, summed over T")
    print(results_table(results))
    print(f"wall time: {time.perf_counter() - start:.0f} s")
    return 0


def sweep_command(args: argparse.Namespace, start: float) -> int:
    """``reproduce --sweep``: train what the results folder lacks, then print its summary."""
    runs_dir = check_output_dir(args.out or Path("runs/sweep"), "--out")
    results = args.results or COMMITTED_RESULTS
    check_output_dir(results, "--results")
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
        recipe=RECIPES[args.recipe or "paper-sgd"],
        results_dir=results,
        runs_dir=runs_dir,
        device=args.device or "auto",
        progress=not args.no_progress,
        command=args.command_line,
        allow_uncommitted=args.allow_uncommitted,
    )
    print(summary_table(results))
    print(
        f"wrote {len(written)} run file(s) to {results}; "
        f"wall time {time.perf_counter() - start:.0f} s"
    )
    return 0
