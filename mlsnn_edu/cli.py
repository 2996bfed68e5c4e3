"""The ``mlsnn-edu`` command (also ``python -m mlsnn_edu``).

::

    mlsnn-edu train --config configs/cifar10_sparse_resnet18_t1n4.yaml epochs=10 --download
    mlsnn-edu train                                   # quick mode: the embedded digits
    mlsnn-edu evaluate --checkpoint runs/quick/checkpoint.pt
    mlsnn-edu activity --checkpoint runs/quick/checkpoint.pt --plot activity.png
    mlsnn-edu energy --model sparse_resnet18
    mlsnn-edu reproduce --quick

Every subcommand is one ``add_<name>_arguments(parser)`` that declares its
options and one ``<name>_command(args) -> int`` that runs it. Subcommands that
live in other modules are listed in :data:`EXTERNAL_SUBCOMMANDS` and imported
only when the parser is built.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

Command = Callable[[argparse.Namespace], int]


# --- train -----------------------------------------------------------------------------------


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, help="a YAML config (default: quick mode on the embedded digits)"
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="key=value",
        help="change config fields, e.g. epochs=2 width=16 model_options.alpha=3",
    )
    parser.add_argument(
        "--download", action="store_true", help="download the dataset if it is not in data_root"
    )


def _config(args: argparse.Namespace):
    from mlsnn_edu.train import TrainConfig, apply_overrides

    overrides = list(args.overrides) + (["download=true"] if args.download else [])
    if args.config is not None:
        return TrainConfig.from_yaml(args.config, overrides)
    return TrainConfig.from_dict(apply_overrides({}, overrides))


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu train [--config FILE] [key=value ...] [--download]``."""
    _add_config_arguments(parser)


def train_command(args: argparse.Namespace) -> int:
    """Train (resuming from ``out_dir`` if a checkpoint is there) and print the last epoch."""
    from mlsnn_edu.train import fit

    config = _config(args)
    for assumption in config.assumptions:
        print(f"assumption: {assumption}")
    trainer = fit(config)
    last = trainer.history[-1]
    print(
        f"{config.model} [T={config.timesteps}, N={config.levels}] on {config.dataset}: "
        f"test accuracy {100 * last['test_accuracy']:.2f}% after {last['epoch']} epochs; "
        f"logs and checkpoint in {config.out_dir}"
    )
    return 0


# --- evaluate and activity --------------------------------------------------------------------


def _add_checkpoint_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=Path, help="a checkpoint written by `mlsnn-edu train`")
    parser.add_argument("--data-root", help="folder of the real datasets (default: the run's)")
    parser.add_argument(
        "--download", action="store_true", help="download the dataset if it is not there"
    )


def _trained(args: argparse.Namespace):
    """The checkpoint's network and config, and its test set."""
    from mlsnn_edu.settings import default_device
    from mlsnn_edu.train import load_trained

    model, config = load_trained(args.checkpoint, default_device())
    return model, config, _test_set(config, args)


def _test_set(config, args: argparse.Namespace):
    """The test split of the config's dataset, from ``--data-root`` if given."""
    from mlsnn_edu.data import build_datasets

    return build_datasets(
        config.dataset,
        root=args.data_root or config.data_root,
        download=args.download,
        timesteps=config.timesteps,
        resolution=config.resolution,
        seed=config.seed,
    ).test


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu evaluate --checkpoint FILE``."""
    _add_checkpoint_arguments(parser)
    parser.add_argument("--batch-size", type=int, default=256, help="default 256")


def evaluate_command(args: argparse.Namespace) -> int:
    """Print the test loss and accuracy of a trained network."""
    from torch.utils.data import DataLoader

    from mlsnn_edu.train import evaluate

    if args.checkpoint is None:
        raise ValueError("evaluate needs --checkpoint PATH (written by `mlsnn-edu train`)")
    model, config, test = _trained(args)
    stats = evaluate(model, DataLoader(test, args.batch_size))
    print(
        f"{config.model} [T={config.timesteps}, N={config.levels}] on {config.dataset} "
        f"({len(test)} test samples): loss {stats.loss:.4f}, accuracy {100 * stats.accuracy:.2f}%"
    )
    return 0


def add_activity_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu activity (--checkpoint FILE | --config FILE [key=value ...])``."""
    _add_checkpoint_arguments(parser)
    parser.add_argument("--config", type=Path, help="an untrained network from this config instead")
    parser.add_argument(
        "overrides", nargs="*", metavar="key=value", help="with --config: change config fields"
    )
    parser.add_argument("--samples", type=int, default=256, help="test samples (default 256)")
    parser.add_argument(
        "--plot", type=Path, help="save a bar chart of events per layer to this image file"
    )


def activity_command(args: argparse.Namespace) -> int:
    """Print the per-layer activity table (events and mass per sample) and save its plot."""
    import torch
    from torch.utils.data import DataLoader, Subset

    from mlsnn_edu.monitor import SpikeMonitor
    from mlsnn_edu.settings import seed_everything
    from mlsnn_edu.train import build_network, model_input

    if args.samples < 1:
        raise ValueError(f"samples must be an integer >= 1, got {args.samples}")
    if args.checkpoint is not None:
        model, config, test = _trained(args)
    else:
        config = _config(args)
        seed_everything(config.seed)
        model = build_network(config).eval()
        test = _test_set(config, args)
    device = next(model.parameters()).device
    subset = Subset(test, range(min(args.samples, len(test))))
    with torch.no_grad(), SpikeMonitor(model) as monitor:
        for x, _ in DataLoader(subset, batch_size=128):
            model(model_input(x.to(device)))
    print(f"{config.model} [T={config.timesteps}, N={config.levels}], {len(subset)} samples")
    print(monitor.table())
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        ax = monitor.plot()
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"plot saved to {args.plot}")
    return 0


# --- reproduce -------------------------------------------------------------------------------


def add_reproduce_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu reproduce [--quick] [--dataset NAME] [--out DIR]``."""
    from mlsnn_edu.reproduce import PAPER_DATASETS

    parser.add_argument(
        "--quick",
        action="store_true",
        help="narrow networks, a few epochs, on the embedded digits (minutes on a laptop CPU)",
    )
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
        default=Path("runs/reproduce-quick"),
        help="quick mode: folder for the runs (each resumes from its checkpoint)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def reproduce_command(args: argparse.Namespace) -> int:
    """Run the paper's comparisons and print one table and the wall time."""
    from mlsnn_edu.reproduce import results_table, run_experiments

    start = time.perf_counter()
    results = run_experiments(
        quick=args.quick,
        out_root=args.out,
        dataset=args.dataset,
        configs_dir=args.configs,
        progress=not args.no_progress,
    )
    scale = "quick mode, embedded digits" if args.quick else f"paper scale, {args.dataset}"
    print(f"\nThe paper's comparisons ({scale}); activity per test sample, summed over T")
    print(results_table(results))
    print(f"wall time: {time.perf_counter() - start:.0f} s")
    return 0


# --- the parser ------------------------------------------------------------------------------

SUBCOMMANDS: tuple[tuple[str, str, Callable, Command], ...] = (
    ("train", "train a network from a config", add_train_arguments, train_command),
    ("evaluate", "test accuracy of a checkpoint", add_evaluate_arguments, evaluate_command),
    (
        "activity",
        "per-layer spike activity table and plot",
        add_activity_arguments,
        activity_command,
    ),
    (
        "reproduce",
        "the paper's comparisons in one table",
        add_reproduce_arguments,
        reproduce_command,
    ),
)

#: Subcommands owned by other modules: (name, help, module, add-arguments, command).
EXTERNAL_SUBCOMMANDS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "energy",
        "analytical energy per layer and the ANN/binary/multi-level comparison",
        "mlsnn_edu.energy",
        "add_energy_arguments",
        "energy_command",
    ),
    (
        "assignments",
        "student notebooks from the chapters' exercises",
        "mlsnn_edu.assignments",
        "add_assignments_arguments",
        "assignments_command",
    ),
    (
        "explore",
        "the chapters' sliders as a web app (Voila on 127.0.0.1)",
        "mlsnn_edu.explore",
        "add_explore_arguments",
        "explore_command",
    ),
)


def _external(module: str, add: str, run: str) -> tuple[Callable, Command]:
    """The (add-arguments, command) pair of a subcommand that lives in another module."""
    loaded = importlib.import_module(module)
    return getattr(loaded, add), getattr(loaded, run)


def build_parser() -> argparse.ArgumentParser:
    from mlsnn_edu import __version__

    parser = argparse.ArgumentParser(
        prog="mlsnn-edu",
        description="Multi-level spiking neural networks, all in one timestep: train, "
        "measure and reproduce (Castagnetti et al., arXiv 2510.24637).",
    )
    parser.add_argument("--version", action="version", version=f"mlsnn-edu {__version__}")
    subparsers = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    for name, help_text, add_arguments, command in SUBCOMMANDS:
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        add_arguments(sub)
        sub.set_defaults(command=command)
    for name, help_text, module, add, run in EXTERNAL_SUBCOMMANDS:
        add_arguments, command = _external(module, add, run)
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        add_arguments(sub)
        sub.set_defaults(command=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand, return its exit status."""
    from mlsnn_edu.train import CheckpointError, NonFiniteLossError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.subcommand is None:
        parser.print_help()
        return 2
    try:
        return int(args.command(args) or 0)
    except (FileNotFoundError, ValueError, CheckpointError, NonFiniteLossError) as error:
        print(f"mlsnn-edu {args.subcommand}: error: {error}", file=sys.stderr)
        return 1
