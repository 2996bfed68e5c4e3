"""What several subcommands share: argument types, option groups, the config and figures.

An argument type turns bad text into argparse's usage message (exit status 2);
the ``add_*`` functions declare an option group once, with one help text.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt

from mlsnn_edu.checks import (
    MAX_LEVELS,
    MAX_SEED,
    check_levels,
    check_positive_int,
    check_seed,
)
from mlsnn_edu.files import write_atomically
from mlsnn_edu.training import TrainConfig, apply_overrides


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (argparse turns the error into a usage message)."""
    try:
        return check_positive_int(int(text), "value")
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None


def levels(text: str) -> int:
    """An argparse type: N, the levels of a spike, an integer from 1 to 256."""
    try:
        return check_levels(int(text), "N")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer >= 1 and <= {MAX_LEVELS}, got {text!r}"
        ) from None


def seed(text: str) -> int:
    """An argparse type: a seed, an integer from 0 to 2**32 - 1."""
    try:
        return check_seed(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer >= 0 and <= {MAX_SEED:,} (2**32 - 1), got {text!r}"
        ) from None


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """``--device D``: where the networks run."""
    parser.add_argument("--device", help="auto (default: the GPU if any), cpu, cuda or cuda:K")


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """``[--config FILE] [key=value ...]``: a training config and changes to it."""
    parser.add_argument(
        "--config", type=Path, help="a YAML config (default: quick mode on the embedded digits)"
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="key=value",
        help="change config fields, e.g. epochs=2 width=16 model_options.alpha=3",
    )


def add_data_arguments(parser: argparse.ArgumentParser, data_root: bool = True) -> None:
    """``[--data-root DIR] [--download] [--device D]``: where the data come from and the work runs."""
    if data_root:
        parser.add_argument("--data-root", help="folder of the real datasets (default: the run's)")
    parser.add_argument(
        "--download", action="store_true", help="download the dataset if it is not there"
    )
    add_device_argument(parser)


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The config that ``--config``, ``key=value``, ``--download`` and ``--device`` describe."""
    overrides = list(args.overrides) + (["download=true"] if args.download else [])
    if getattr(args, "device", None):
        overrides.append(f"device={args.device}")
    if args.config is not None:
        return TrainConfig.from_yaml(args.config, overrides)
    return TrainConfig.from_dict(apply_overrides({}, overrides))


def save_figure(figure, path: Path) -> None:
    """Write ``figure`` to ``path`` atomically and close it."""
    write_atomically(
        path, lambda temporary: figure.savefig(temporary, dpi=120, bbox_inches="tight")
    )
    plt.close(figure)
