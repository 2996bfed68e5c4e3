"""``mlsnn-edu energy``: the analytical energy of networks, against the ANN and each other.

The defaults are the library's :data:`~mlsnn_edu.experiments.ENERGY_DEFAULTS`,
which the chapters use too; the work is
:func:`~mlsnn_edu.experiments.compare_energy`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlsnn_edu.cli.arguments import add_device_argument, levels, positive_int, save_figure, seed
from mlsnn_edu.data import DATASET_NAMES
from mlsnn_edu.energy import MULTILEVEL_COSTS, PRESET_NAMES, comparison_table
from mlsnn_edu.energy_figures import plot_energy_comparison
from mlsnn_edu.experiments.energy import (
    BINARY,
    ENERGY_DEFAULTS,
    MULTILEVEL,
    compare_energy,
    from_checkpoint,
    untrained_networks,
)
from mlsnn_edu.files import IMAGE_SUFFIXES, check_output_file
from mlsnn_edu.models import MODEL_NAMES
from mlsnn_edu.settings import resolve_device

SPIKING_MODELS = tuple(name for name in MODEL_NAMES if not name.startswith("ann_"))
#: The options that describe an untrained network, which a checkpoint fixes.
UNTRAINED_ONLY = (
    "width",
    "timesteps",
    "levels",
    "theta",
    "dataset",
    "calibration_samples",
    "seed",
)


def add_energy_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``mlsnn-edu energy``."""
    defaults = ENERGY_DEFAULTS
    parser.add_argument("--model", choices=SPIKING_MODELS, help="an untrained network to estimate")
    parser.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        help="a trained network (repeat to compare several: each keeps its own T, N and theta)",
    )
    parser.add_argument(
        "--width",
        type=positive_int,
        help="untrained --model: channels of the first layer "
        f"(default {defaults.width}; {defaults.full_width} at paper scale)",
    )
    parser.add_argument(
        "--timesteps",
        type=positive_int,
        help=f"untrained --model: T (default {defaults.coding.timesteps})",
    )
    parser.add_argument(
        "--levels",
        type=levels,
        help=f"untrained --model: N (default {defaults.coding.levels})",
    )
    parser.add_argument("--theta", type=float, help="untrained --model: threshold (default 1/N)")
    parser.add_argument(
        "--dataset",
        choices=DATASET_NAMES,
        help=f"untrained --model: inputs (default {defaults.dataset})",
    )
    parser.add_argument(
        "--data-root", default=defaults.data_root, help="folder of the real datasets"
    )
    parser.add_argument(
        "--download", action="store_true", help="download the dataset if it is not there"
    )
    add_device_argument(parser)
    parser.add_argument(
        "--samples",
        type=positive_int,
        default=defaults.samples,
        help=f"test samples to average over (default {defaults.samples})",
    )
    parser.add_argument(
        "--calibration-samples",
        type=positive_int,
        help="untrained --model: training samples to set batch-norm statistics on "
        f"(default {defaults.calibration_samples})",
    )
    parser.add_argument(
        "--preset", choices=PRESET_NAMES, default=defaults.preset, help="energy per operation"
    )
    parser.add_argument(
        "--multilevel-cost",
        choices=MULTILEVEL_COSTS,
        default=defaults.multilevel_cost,
        help="how a spike of value k is charged: k accumulations, one small MAC, or N accumulations",
    )
    parser.add_argument("--plot", type=Path, help="save the stacked-bar comparison to this image")
    parser.add_argument(
        "--seed",
        type=seed,
        help=f"untrained --model: seed of its weights (default {defaults.seed})",
    )


def energy_command(args: argparse.Namespace) -> int:
    """Print the first network's per-layer table and the comparison; save the plot if asked."""
    if args.plot is not None:
        check_output_file(args.plot, "--plot", IMAGE_SUFFIXES)
    calibration_samples = args.calibration_samples or ENERGY_DEFAULTS.calibration_samples
    if args.checkpoint:
        given = [
            "--" + name.replace("_", "-")
            for name in UNTRAINED_ONLY
            if getattr(args, name) is not None
        ]
        if args.model is not None or given:
            raise ValueError(
                f"{' '.join(given or ['--model'])} cannot change a checkpoint's network (its "
                "architecture, width, T, N, theta, dataset and trained weights are saved in "
                "it): drop them"
            )
        networks = [from_checkpoint(path) for path in args.checkpoint]
    elif args.model is not None:
        networks = untrained_networks(
            args.model,
            width=args.width or ENERGY_DEFAULTS.network_width(),
            dataset=args.dataset or ENERGY_DEFAULTS.dataset,
            own=ENERGY_DEFAULTS.coding_for(args.timesteps, args.levels, args.theta),
            calibration_samples=calibration_samples,
        )
    else:
        raise ValueError("give --model NAME (an untrained network) or --checkpoint PATH")
    rows = compare_energy(
        networks,
        samples=args.samples,
        calibration_samples=calibration_samples,
        seed=ENERGY_DEFAULTS.seed if args.seed is None else args.seed,
        device=resolve_device(args.device),
        data_root=args.data_root,
        download=args.download,
        preset=args.preset,
        multilevel_cost=args.multilevel_cost,
    )
    reports = {row.label: row.report for row in rows}
    print(rows[1].table())  # rows[0] is the ANN with the first network's layers
    print()
    print(comparison_table(reports))
    codings = {network.coding: row.report for network, row in zip(networks, rows[1:])}
    if BINARY in codings and MULTILEVEL in codings:
        ratio = codings[BINARY].total / codings[MULTILEVEL].total
        print(
            f"binary [{BINARY.describe()}] / multi-level [{MULTILEVEL.describe()}] energy: {ratio:.2f}x"
        )
    if not args.checkpoint:
        print(
            "note: untrained weights with calibrated batch norm are busier than trained ones; "
            "pass --checkpoint (one per network) to compare trained networks"
        )
    if args.plot is not None:
        ax = plot_energy_comparison(reports, title="Energy per inference")
        save_figure(ax.figure, args.plot)
        print(f"plot saved to {args.plot}")
    return 0
