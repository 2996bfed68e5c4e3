"""The ``mlsnn-edu`` command (also ``python -m mlsnn_edu``).

::

    mlsnn-edu train                                   # quick mode: the embedded digits
    mlsnn-edu train --config configs/cifar10_sparse_resnet18_t1n4.yaml epochs=10 --download
    mlsnn-edu evaluate --checkpoint runs/quick/checkpoint.pt
    mlsnn-edu activity --checkpoint runs/quick/checkpoint.pt --plot activity.png
    mlsnn-edu energy --model sparse_resnet18
    mlsnn-edu reproduce --quick
    mlsnn-edu assignments build
    mlsnn-edu explore

Every subcommand is one ``add_<name>_arguments(parser)`` that declares its
options and one ``<name>_command(args) -> int`` that runs it; the library does
the work. They live in one module per group: :mod:`~mlsnn_edu.cli.training`
(train, evaluate, activity), :mod:`~mlsnn_edu.cli.energy`,
:mod:`~mlsnn_edu.cli.reproduce`, :mod:`~mlsnn_edu.cli.assignments` and
:mod:`~mlsnn_edu.cli.explore`; :mod:`~mlsnn_edu.cli.arguments` holds what they
share. This module builds the parser and runs a subcommand: a user's mistake
(a bad value, a missing file, a broken checkpoint) ends with one line on stderr
and exit status 1 (2 for a malformed command line), never with a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")  # the command line only ever writes figures to files

import torch

from mlsnn_edu import __version__
from mlsnn_edu.checks import first_line
from mlsnn_edu.cli.assignments import add_assignments_arguments, assignments_command
from mlsnn_edu.cli.energy import add_energy_arguments, energy_command
from mlsnn_edu.cli.explore import add_explore_arguments, explore_command
from mlsnn_edu.cli.reproduce import add_reproduce_arguments, reproduce_command
from mlsnn_edu.cli.training import (
    activity_command,
    add_activity_arguments,
    add_evaluate_arguments,
    add_train_arguments,
    evaluate_command,
    train_command,
)
from mlsnn_edu.data import DatasetError
from mlsnn_edu.training import CheckpointError, NonFiniteError

Command = Callable[[argparse.Namespace], int]

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
        "energy",
        "analytical energy per layer, against the ANN and the other spike coding",
        add_energy_arguments,
        energy_command,
    ),
    (
        "reproduce",
        "the paper's comparisons in one table",
        add_reproduce_arguments,
        reproduce_command,
    ),
    (
        "assignments",
        "student notebooks from the chapters' exercises",
        add_assignments_arguments,
        assignments_command,
    ),
    (
        "explore",
        "the chapters' sliders as a web app (Voila on 127.0.0.1)",
        add_explore_arguments,
        explore_command,
    ),
)

#: What a user's mistake raises; main() prints these as one line instead of a traceback.
#: (Missing, unreadable or misplaced files are OSErrors, and so is a full disk: each names
#: its file and the system's reason.)
USER_ERRORS = (
    ValueError,  # AssignmentError (a chapter breaking the exercise convention) is one
    CheckpointError,
    NonFiniteError,
    DatasetError,
    OSError,
)

__all__ = ["SUBCOMMANDS", "USER_ERRORS", "build_parser", "main", "parse"]


def build_parser() -> argparse.ArgumentParser:
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
    return parser


def describe_error(error: Exception) -> str:
    """A user's error in one line; an ``OSError`` as ``FILE: the system's reason``."""
    if isinstance(error, OSError) and error.filename and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return str(error)


def is_out_of_memory(error: BaseException) -> bool:
    text = str(error)
    return isinstance(error, (MemoryError, torch.OutOfMemoryError)) or (
        isinstance(error, RuntimeError)
        and ("can't allocate memory" in text or "out of memory" in text)
    )


def parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """``parser.parse_args``, with ``key=value`` overrides allowed after options too.

    argparse takes one run of positional arguments; ``train epochs=2 --device cpu
    width=4`` has two. Whatever it leaves over that looks like ``key=value`` joins
    the overrides; anything else is the usual usage error.
    """
    args, extra = parser.parse_known_args(argv)
    if extra:
        overrides = all("=" in item and not item.startswith("-") for item in extra)
        if not (overrides and hasattr(args, "overrides")):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.overrides = [*args.overrides, *extra]
    return args


class Terminated(Exception):
    """SIGTERM (``kill``, a job scheduler's time limit): stop like Ctrl+C, cleaning up."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand, return its exit status.

    SIGTERM raises :class:`Terminated` in the main thread, so that every
    ``finally`` runs as for Ctrl+C: temporary files are removed, the run lock
    released, a half-written file never replaces a whole one.
    """
    parser = build_parser()
    args = parse(parser, argv)
    args.command_line = ["mlsnn-edu", *(sys.argv[1:] if argv is None else argv)]
    if args.subcommand is None:
        parser.print_help()
        return 2
    prefix = f"mlsnn-edu {args.subcommand}: error:"
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return int(args.command(args) or 0)
    except USER_ERRORS as error:
        print(f"{prefix} {describe_error(error)}", file=sys.stderr)
        return 1
    except (MemoryError, RuntimeError) as error:
        if not is_out_of_memory(error):
            raise
        print(
            f"{prefix} ran out of memory ({first_line(error, 160)}); lower width, batch_size, timesteps "
            "or --samples",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print(f"mlsnn-edu {args.subcommand}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"mlsnn-edu {args.subcommand}: terminated", file=sys.stderr)
        return 143
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
