"""``mlsnn-edu train``, ``evaluate`` and ``activity``: a network trained, tested and measured."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Subset

from mlsnn_edu.cli.arguments import (
    add_config_arguments,
    add_data_arguments,
    positive_int,
    save_figure,
    train_config,
)
from mlsnn_edu.data import Datasets, build_datasets
from mlsnn_edu.energy import measure_activity
from mlsnn_edu.experiments import ENERGY_DEFAULTS
from mlsnn_edu.figures import plot_activity, plot_history
from mlsnn_edu.files import IMAGE_SUFFIXES, check_output_dir, check_output_file
from mlsnn_edu.models.layers import model_input
from mlsnn_edu.settings import resolve_device, seed_everything
from mlsnn_edu.training import TrainConfig, Trainer, build_network, evaluate, load_trained


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu train [--config FILE] [key=value ...] [--download] [--device D]``."""
    add_config_arguments(parser)
    add_data_arguments(parser, data_root=False)


def train_command(args: argparse.Namespace) -> int:
    """Train (resuming from ``out_dir`` if a checkpoint is there) and print the last epoch."""
    config = train_config(args)
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


def _datasets(config: TrainConfig, args: argparse.Namespace) -> Datasets:
    """The config's dataset, from ``--data-root`` if given."""
    return build_datasets(
        config.dataset,
        root=args.data_root or config.data_root,
        download=args.download,
        timesteps=config.timesteps,
        resolution=config.resolution,
        seed=config.seed,
    )


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu evaluate --checkpoint FILE``."""
    parser.add_argument(
        "--checkpoint", type=Path, required=True, help="a checkpoint written by `mlsnn-edu train`"
    )
    add_data_arguments(parser)
    parser.add_argument("--batch-size", type=positive_int, default=256, help="default 256")


def evaluate_command(args: argparse.Namespace) -> int:
    """Print the test loss and accuracy of a trained network."""
    model, config = load_trained(args.checkpoint, resolve_device(args.device))
    test = _datasets(config, args).test
    stats = evaluate(model, DataLoader(test, args.batch_size))
    print(
        f"{config.model} [T={config.timesteps}, N={config.levels}] on {config.dataset} "
        f"({len(test)} test samples): loss {stats.loss:.4f}, accuracy {100 * stats.accuracy:.2f}%"
    )
    return 0


def add_activity_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu activity (--checkpoint FILE | [--config FILE] [key=value ...])``."""
    parser.add_argument("--checkpoint", type=Path, help="a checkpoint written by `mlsnn-edu train`")
    add_config_arguments(parser)
    add_data_arguments(parser)
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
        data, calibration = _datasets(config, args), None
        source = f"trained, {args.checkpoint}"
    else:  # chapter 6's lesson: an untrained network's activity means nothing uncalibrated
        config = train_config(args)
        seed_everything(config.seed)
        model = build_network(config).to(device)
        data = _datasets(config, args)
        count = min(ENERGY_DEFAULTS.calibration_samples, len(data.train))
        calibration = model_input(torch.stack([data.train[i][0] for i in range(count)]))
        calibration = calibration.to(device)
        source = f"untrained, batch norm calibrated on {count} training samples"
    subset = Subset(data.test, range(min(args.samples, len(data.test))))
    loader = DataLoader(subset, batch_size=128)
    monitor = measure_activity(model, loader, calibrate_on=calibration)
    print(
        f"{config.model} [T={config.timesteps}, N={config.levels}] ({source}), {len(subset)} samples"
    )
    print(monitor.table())
    if args.plot is not None:
        ax = plot_activity({config.model: monitor.summary()})
        save_figure(ax.figure, args.plot)
        print(f"plot saved to {args.plot}")
    return 0
