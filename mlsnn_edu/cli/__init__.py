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
the work. A user's mistake (a bad value, a missing file, a broken checkpoint)
ends with one line on stderr and exit status 1 (2 for a malformed command
line), never with a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the command line only ever writes figures to files

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, Subset  # noqa: E402

from mlsnn_edu import __version__  # noqa: E402
from mlsnn_edu.checks import check_positive_int  # noqa: E402
from mlsnn_edu.classroom.convention import AssignmentError, load_chapters  # noqa: E402
from mlsnn_edu.classroom.handouts import (  # noqa: E402
    build_assignments,
    exercise_listing,
    exercise_problems,
    update_page,
)
from mlsnn_edu.classroom.nbgrader import read_rubrics  # noqa: E402
from mlsnn_edu.data import DATASET_NAMES, DatasetError, build_datasets  # noqa: E402
from mlsnn_edu.energy import MULTILEVEL_COSTS, PRESET_NAMES, comparison_table  # noqa: E402
from mlsnn_edu.experiments.energy import (  # noqa: E402
    BINARY,
    MULTILEVEL,
    Coding,
    compare_energy,
    from_checkpoint,
    untrained_networks,
)
from mlsnn_edu.experiments.reproduce import (  # noqa: E402
    PAPER_DATASETS,
    results_table,
    run_experiments,
)
from mlsnn_edu.experiments.results import COMMITTED_RESULTS  # noqa: E402
from mlsnn_edu.experiments.summary import summary_table  # noqa: E402
from mlsnn_edu.experiments.sweep import RECIPES, cpu_sweep, grid, run_sweep  # noqa: E402
from mlsnn_edu.explorers import EXPLORERS, serve_explorer, write_explorer_notebook  # noqa: E402
from mlsnn_edu.figures import plot_activity, plot_energy_comparison, plot_history  # noqa: E402
from mlsnn_edu.files import (  # noqa: E402
    IMAGE_SUFFIXES,
    check_output_dir,
    check_output_file,
    write_atomically,  # noqa: E402
)
from mlsnn_edu.models import MODEL_NAMES  # noqa: E402
from mlsnn_edu.monitor import record_activity  # noqa: E402
from mlsnn_edu.settings import full_scale, resolve_device, seed_everything  # noqa: E402
from mlsnn_edu.training import (  # noqa: E402
    CheckpointError,
    NonFiniteError,
    TrainConfig,
    Trainer,
    apply_overrides,
    build_network,
    evaluate,
    load_trained,
)

Command = Callable[[argparse.Namespace], int]
#: The teachers' page, whose rubric table ``assignments build --nbgrader`` puts in the notebooks.
DEFAULT_RUBRICS = Path("book/instructors.md")
SPIKING_MODELS = tuple(name for name in MODEL_NAMES if not name.startswith("ann_"))


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (argparse turns the error into a usage message)."""
    try:
        return check_positive_int(int(text), "value")
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None


def non_negative_int(text: str) -> int:
    """An argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def save_figure(figure, path: Path) -> None:
    """Write ``figure`` to ``path`` atomically and close it."""
    write_atomically(
        path, lambda temporary: figure.savefig(temporary, dpi=120, bbox_inches="tight")
    )
    plt.close(figure)


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


def _add_data_arguments(parser: argparse.ArgumentParser, data_root: bool = True) -> None:
    if data_root:
        parser.add_argument("--data-root", help="folder of the real datasets (default: the run's)")
    parser.add_argument(
        "--download", action="store_true", help="download the dataset if it is not there"
    )
    parser.add_argument("--device", help="auto (default: the GPU if any), cpu, cuda or cuda:K")


def _config(args: argparse.Namespace) -> TrainConfig:
    overrides = list(args.overrides) + (["download=true"] if args.download else [])
    if getattr(args, "device", None):
        overrides.append(f"device={args.device}")
    if args.config is not None:
        return TrainConfig.from_yaml(args.config, overrides)
    return TrainConfig.from_dict(apply_overrides({}, overrides))


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu train [--config FILE] [key=value ...] [--download] [--device D]``."""
    _add_config_arguments(parser)
    _add_data_arguments(parser, data_root=False)


def train_command(args: argparse.Namespace) -> int:
    """Train (resuming from ``out_dir`` if a checkpoint is there) and print the last epoch."""
    config = _config(args)
    for assumption in config.assumptions:
        print(f"assumption: {assumption}")
    out_dir = check_output_dir(config.out_dir, "out_dir")
    trainer = Trainer(config)

    def plot_progress(epoch: int, record: dict) -> None:
        if trainer.dist.is_main:  # under torchrun, one process writes
            save_figure(plot_history(trainer.history), out_dir / "metrics.png")

    try:
        trainer.fit(on_epoch=plot_progress)
    finally:
        trainer.close()
    last = trainer.history[-1]
    print(
        f"{config.model} [T={config.timesteps}, N={config.levels}] on {config.dataset}: "
        f"test accuracy {100 * last['test_accuracy']:.2f}% after {last['epoch']} epochs; "
        f"logs, metrics.png and checkpoint in {config.out_dir}"
    )
    return 0


# --- evaluate and activity --------------------------------------------------------------------


def _test_set(config: TrainConfig, args: argparse.Namespace):
    """The test split of the config's dataset, from ``--data-root`` if given."""
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
    parser.add_argument(
        "--checkpoint", type=Path, required=True, help="a checkpoint written by `mlsnn-edu train`"
    )
    _add_data_arguments(parser)
    parser.add_argument("--batch-size", type=positive_int, default=256, help="default 256")


def evaluate_command(args: argparse.Namespace) -> int:
    """Print the test loss and accuracy of a trained network."""
    model, config = load_trained(args.checkpoint, resolve_device(args.device))
    test = _test_set(config, args)
    stats = evaluate(model, DataLoader(test, args.batch_size))
    print(
        f"{config.model} [T={config.timesteps}, N={config.levels}] on {config.dataset} "
        f"({len(test)} test samples): loss {stats.loss:.4f}, accuracy {100 * stats.accuracy:.2f}%"
    )
    return 0


def add_activity_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu activity (--checkpoint FILE | [--config FILE] [key=value ...])``."""
    parser.add_argument("--checkpoint", type=Path, help="a checkpoint written by `mlsnn-edu train`")
    _add_config_arguments(parser)
    _add_data_arguments(parser)
    parser.add_argument(
        "--samples", type=positive_int, default=256, help="test samples (default 256)"
    )
    parser.add_argument(
        "--plot",
        type=Path,
        help="save a bar chart of events per layer to this image (.png, .svg, .pdf)",
    )


def activity_command(args: argparse.Namespace) -> int:
    """Print the per-layer activity table (events and mass per sample) and save its plot."""
    if args.plot is not None:
        check_output_file(args.plot, "--plot", IMAGE_SUFFIXES)
    device = resolve_device(args.device)
    if args.checkpoint is not None:
        if args.config is not None or args.overrides:
            given = " ".join(([f"--config {args.config}"] if args.config else []) + args.overrides)
            raise ValueError(
                f"a checkpoint's network is fixed: {given} cannot change it. Drop them, or "
                "measure an untrained network with --config/key=value instead of --checkpoint"
            )
        model, config = load_trained(args.checkpoint, device)
        source = f"trained, {args.checkpoint}"
    else:
        config = _config(args)
        seed_everything(config.seed)
        model = build_network(config).to(device).eval()
        source = "untrained: batch norm at its initial statistics"
    test = _test_set(config, args)
    subset = Subset(test, range(min(args.samples, len(test))))
    monitor = record_activity(model, DataLoader(subset, batch_size=128))
    print(
        f"{config.model} [T={config.timesteps}, N={config.levels}] ({source}), {len(subset)} samples"
    )
    print(monitor.table())
    if args.plot is not None:
        ax = plot_activity({config.model: monitor.summary()})
        save_figure(ax.figure, args.plot)
        print(f"plot saved to {args.plot}")
    return 0


# --- energy ----------------------------------------------------------------------------------


def add_energy_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``mlsnn-edu energy``."""
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
        help="untrained --model: channels of the first layer (default 16)",
    )
    parser.add_argument("--timesteps", type=positive_int, help="untrained --model: T (default 1)")
    parser.add_argument("--levels", type=positive_int, help="untrained --model: N (default 4)")
    parser.add_argument("--theta", type=float, help="untrained --model: threshold (default 1/N)")
    parser.add_argument(
        "--dataset", choices=DATASET_NAMES, help="untrained --model: inputs (default digits)"
    )
    parser.add_argument("--data-root", default="data", help="folder of the real datasets")
    parser.add_argument(
        "--download", action="store_true", help="download the dataset if it is not there"
    )
    parser.add_argument("--device", help="auto (default: the GPU if any), cpu, cuda or cuda:K")
    parser.add_argument(
        "--samples", type=positive_int, default=64, help="test samples to average over (default 64)"
    )
    parser.add_argument(
        "--calibration-samples",
        type=positive_int,
        default=256,
        help="untrained networks: training samples to set batch-norm statistics on (default 256)",
    )
    parser.add_argument(
        "--preset", choices=PRESET_NAMES, default="horowitz45nm", help="energy per operation"
    )
    parser.add_argument(
        "--multilevel-cost",
        choices=MULTILEVEL_COSTS,
        default="accumulate",
        help="how a spike of value k is charged: k accumulations, one small MAC, or N accumulations",
    )
    parser.add_argument("--plot", type=Path, help="save the stacked-bar comparison to this image")
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of untrained weights (default 0)"
    )


def energy_command(args: argparse.Namespace) -> int:
    """Print the first network's per-layer table and the comparison; save the plot if asked."""
    if args.plot is not None:
        check_output_file(args.plot, "--plot", IMAGE_SUFFIXES)
    untrained_only = ("width", "timesteps", "levels", "theta", "dataset")
    if args.checkpoint:
        given = [f"--{name}" for name in untrained_only if getattr(args, name) is not None]
        if args.model is not None or given:
            raise ValueError(
                f"{' '.join(given or ['--model'])} cannot change a checkpoint's network (its "
                "architecture, width, T, N, theta and dataset are saved in it): drop them"
            )
        networks = [from_checkpoint(path) for path in args.checkpoint]
    elif args.model is not None:
        levels = args.levels or MULTILEVEL.levels
        theta = args.theta if args.theta is not None else 1.0 / levels
        own = Coding(args.timesteps or MULTILEVEL.timesteps, levels, theta)
        width = args.width or (64 if full_scale() else 16)
        networks = untrained_networks(
            args.model,
            width=width,
            dataset=args.dataset or "digits",
            own=own,
            calibration_samples=args.calibration_samples,
        )
    else:
        raise ValueError("give --model NAME (an untrained network) or --checkpoint PATH")
    rows = compare_energy(
        networks,
        samples=args.samples,
        calibration_samples=args.calibration_samples,
        seed=args.seed,
        device=resolve_device(args.device),
        data_root=args.data_root,
        download=args.download,
        preset=args.preset,
        multilevel_cost=args.multilevel_cost,
    )
    reports = {row.label: row.report for row in rows}
    print(rows[1].report.table().replace(rows[1].report.label(), rows[1].label, 1))
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


# --- reproduce -------------------------------------------------------------------------------


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
    parser.add_argument("--device", help="auto (default: the GPU if any), cpu, cuda or cuda:K")
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


# --- assignments -----------------------------------------------------------------------------


def add_assignments_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``build``, ``check`` and ``list`` actions of ``mlsnn-edu assignments``."""
    actions = parser.add_subparsers(dest="assignments_action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="write the student notebooks and their README")
    build.add_argument(
        "--output", type=Path, default=Path("assignments"), help="folder (default: assignments)"
    )
    build.add_argument(
        "--chapters", nargs="+", metavar="NN", help="chapter numbers, e.g. 01 02 (default: all)"
    )
    build.add_argument(
        "--nbgrader",
        action="store_true",
        help="also write nbgrader source notebooks under OUTPUT/nbgrader/source/",
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="overwrite files in OUTPUT that were edited since the last build",
    )
    build.add_argument(
        "--rubrics",
        type=Path,
        metavar="PAGE",
        help="--nbgrader: the page whose rubric table grades the written answers "
        f"(default {DEFAULT_RUBRICS} when it exists)",
    )
    check = actions.add_parser(
        "check",
        help="fail unless chapters 1-4 have >= 3 graded exercises and later ones >= 2, each calls "
        "a checker, and no other cell needs a solution",
    )
    listing = actions.add_parser("list", help="print the exercises as a markdown table")
    listing.add_argument(
        "--update-page", type=Path, metavar="FILE", help="rewrite the list between FILE's markers"
    )
    for action in (build, check, listing):
        action.add_argument(
            "--notebooks",
            type=Path,
            default=Path("notebooks"),
            help="chapters (default: notebooks)",
        )


def assignments_command(args: argparse.Namespace) -> int:
    """Run ``mlsnn-edu assignments ACTION``; 0 on success, 1 on a problem (printed to stderr)."""
    if args.assignments_action == "build":
        check_output_dir(args.output, "--output")
        rubrics = args.rubrics or (DEFAULT_RUBRICS if DEFAULT_RUBRICS.is_file() else None)
        written = build_assignments(
            args.notebooks,
            args.output,
            args.chapters,
            args.nbgrader,
            force=args.force,
            rubrics=read_rubrics(rubrics) if args.nbgrader and rubrics else None,
        )
        for path in written:
            print(f"wrote {path}")
        return 0
    chapters = load_chapters(args.notebooks)
    if args.assignments_action == "check":
        problems = exercise_problems(chapters)
        for problem in problems:
            print(problem, file=sys.stderr)
        total = sum(chapter.graded for chapter in chapters)
        print(f"{len(chapters)} chapters, {total} graded exercises, {len(problems)} problems")
        return 1 if problems else 0
    listing = exercise_listing(chapters)
    if args.update_page is None:
        print(listing, end="")
    else:
        changed = update_page(args.update_page, listing)
        print(f"{args.update_page}: {'updated' if changed else 'already current'}")
    return 0


# --- explore ---------------------------------------------------------------------------------


def add_explore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "explorer",
        nargs="?",
        default="quantization",
        choices=sorted(EXPLORERS),
        help="which explorer to serve (default: quantization)",
    )
    parser.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default: 8866)")
    parser.add_argument("--open", action="store_true", help="open the app in a browser tab")
    parser.add_argument(
        "--write-notebook",
        type=Path,
        metavar="PATH",
        help="only write the explorer's notebook to PATH (to run voila on it yourself)",
    )


def explore_command(args: argparse.Namespace) -> int:
    """Serve an explorer with Voilà until Ctrl+C, or only write its notebook."""
    if args.write_notebook is not None:
        check_output_file(args.write_notebook, "--write-notebook", (".ipynb",))
        write_explorer_notebook(args.explorer, args.write_notebook)
        print(f"wrote {args.write_notebook}: run `voila {args.write_notebook}` to serve it")
        return 0
    return serve_explorer(args.explorer, args.port, open_browser=args.open)


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
    ValueError,
    CheckpointError,
    NonFiniteError,
    DatasetError,
    AssignmentError,
    OSError,
)


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
        print(f"{prefix} {error}", file=sys.stderr)
        return 1
    except (MemoryError, RuntimeError) as error:
        if not is_out_of_memory(error):
            raise
        first_line = (str(error).splitlines() or [type(error).__name__])[0][:160]
        print(
            f"{prefix} ran out of memory ({first_line}); lower width, batch_size, timesteps "
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
