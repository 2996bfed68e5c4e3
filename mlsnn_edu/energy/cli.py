"""The ``mlsnn-edu energy`` command: a network's per-layer energy and the ANN / binary / multi-level comparison.

::

    mlsnn-edu energy --model sparse_resnet18                      # quick mode, at initialisation
    mlsnn-edu energy --checkpoint runs/quick/checkpoint.pt --plot energy.png

The network runs on test samples of its dataset (the embedded digits by
default) under a :class:`~mlsnn_edu.monitor.SpikeMonitor`. The comparison uses
the same weights three ways: charged as an ANN with the same layers, as a binary
SNN [T=4, N=1] with threshold theta and as a multi-level SNN [T=1, N=4] with
threshold theta/4, so that both cover [0, theta] with five levels (chapter 2).
Batch-norm statistics are re-estimated on training inputs for each of the
two (and for the network itself when it has no checkpoint: an untrained
network's activity means nothing otherwise; see
:mod:`~mlsnn_edu.energy.calibration`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from mlsnn_edu.energy.calibration import calibrate_batch_norm
from mlsnn_edu.energy.counts import MULTILEVEL_COSTS
from mlsnn_edu.energy.estimate import (
    EnergyReport,
    comparison_table,
    estimate_energy,
    measure_energy,
)
from mlsnn_edu.energy.presets import PRESET_NAMES

BINARY = (4, 1)
MULTILEVEL = (1, 4)


def add_energy_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``mlsnn-edu energy``."""
    from mlsnn_edu.data import DATASET_NAMES
    from mlsnn_edu.models import MODEL_NAMES

    parser.add_argument(
        "--model", choices=MODEL_NAMES, help="network to estimate (or --checkpoint)"
    )
    parser.add_argument(
        "--checkpoint", type=Path, help="a trainer checkpoint: network, weights, dataset"
    )
    parser.add_argument(
        "--width", type=int, help="channels of the first layer (default 16; 64 at full scale)"
    )
    parser.add_argument("--timesteps", type=int, help="T of the network's own table (default 1)")
    parser.add_argument("--levels", type=int, help="N of the network's own table (default 4)")
    parser.add_argument(
        "--dataset", choices=DATASET_NAMES, help="inputs to record activity on (default digits)"
    )
    parser.add_argument("--data-root", default="data", help="folder of the real datasets")
    parser.add_argument(
        "--samples", type=int, default=64, help="test samples to average over (default 64)"
    )
    parser.add_argument(
        "--calibration-samples",
        type=int,
        default=256,
        help="training samples to re-estimate batch-norm statistics on (default 256)",
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
    parser.add_argument(
        "--plot", type=Path, help="save the stacked-bar comparison to this image file"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the initial weights (default 0)"
    )
    parser.add_argument("--device", help="where to run the networks (default: the GPU if any)")


def _settings(args: argparse.Namespace) -> dict:
    """Network and data settings: the checkpoint's, then the command line's, then the defaults."""
    from mlsnn_edu.settings import full_scale

    settings = {
        "model": None,
        "width": 64 if full_scale() else 16,
        "timesteps": 1,
        "levels": 4,
        "dataset": "digits",
        "model_options": {},
        "resolution": 32,
        "state": None,
    }
    if args.checkpoint is not None:
        from mlsnn_edu.train import load_checkpoint

        payload = load_checkpoint(args.checkpoint)
        config = payload["config"]
        settings.update({key: config[key] for key in settings if key in config})
        settings["state"] = payload["model"]
        if args.model is not None and args.model != config["model"]:
            raise ValueError(
                f"--model {args.model} does not match the checkpoint's network {config['model']!r}"
            )
    for key in ("model", "width", "timesteps", "levels", "dataset"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if settings["model"] is None:
        raise ValueError("give --model NAME or --checkpoint PATH")
    for name in ("samples", "calibration_samples"):
        if getattr(args, name) < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {getattr(args, name)}")
    return settings


def _inputs(
    settings: dict, timesteps: int, args: argparse.Namespace
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Test inputs to measure on, training inputs to calibrate on, and the network's in_channels."""
    from mlsnn_edu.data import build_datasets
    from mlsnn_edu.train import model_input

    data = build_datasets(
        settings["dataset"],
        root=args.data_root,
        timesteps=timesteps,
        resolution=settings["resolution"],
    )

    def first(split, count: int) -> torch.Tensor:
        return model_input(torch.stack([split[i][0] for i in range(min(count, len(split)))]))

    return (
        first(data.test, args.samples),
        first(data.train, args.calibration_samples),
        data.in_channels,
    )


def run_energy(args: argparse.Namespace) -> dict[str, EnergyReport]:
    """Reports of the network itself, its ANN twin, and the binary and multi-level versions."""
    from mlsnn_edu.data import EVENT_DATASETS
    from mlsnn_edu.models import build_model
    from mlsnn_edu.settings import default_device, seed_everything

    settings = _settings(args)
    device = torch.device(args.device) if args.device else default_device()
    input_spikes = settings["dataset"] in EVENT_DATASETS
    options = {
        "preset": args.preset,
        "multilevel_cost": args.multilevel_cost,
        "input_spikes": input_spikes,
    }
    theta = float(settings["model_options"].get("theta", 1.0))
    seed_everything(args.seed)
    state = settings["state"]
    configurations = {
        "network": (settings["timesteps"], settings["levels"], theta),
        "binary": (*BINARY, theta),
        "multi-level": (*MULTILEVEL, theta / MULTILEVEL[1]),  # the same range [0, theta]
    }
    reports: dict[str, EnergyReport] = {}
    loaded: dict[int, tuple[torch.Tensor, ...]] = {}
    for label, (timesteps, levels, threshold) in configurations.items():
        key = timesteps if input_spikes else 0  # event frames depend on T; images do not
        if key not in loaded:
            loaded[key] = _inputs(settings, timesteps, args)
        test, train, in_channels = (
            item.to(device) if torch.is_tensor(item) else item for item in loaded[key]
        )
        model = build_model(
            settings["model"],
            timesteps=timesteps,
            levels=levels,
            width=settings["width"],
            in_channels=in_channels,
            **{**settings["model_options"], "theta": threshold},
        )
        if state is None:
            state = {k: v.clone() for k, v in model.state_dict().items()}  # same initial weights
        model.load_state_dict(state)
        model.to(device)
        if label != "network" or settings["state"] is None:
            calibrate_batch_norm(model, train)
        if label == "network":
            shape = tuple(test.shape[-3:])
            reports["ANN"] = estimate_energy(model, None, input_shape=shape, preset=args.preset)
        reports[label] = measure_energy(model, test, **options)
    return reports


def energy_command(args: argparse.Namespace) -> int:
    """Print the network's per-layer table and the comparison; save the plot if asked."""
    name = args.model or ""
    if name.startswith("ann_"):
        spiking = name.replace("ann_", "sparse_", 1)
        raise ValueError(
            f"--model {name} has no spikes to compare; give a spiking network such as {spiking}: "
            "its comparison includes the ANN with the same layers"
        )
    reports = run_energy(args)
    own = reports.pop("network")
    print(own.table())
    print()
    named = {
        f"ANN ({own.model} layers)": reports["ANN"],
        f"binary [T={BINARY[0]}, N={BINARY[1]}]": reports["binary"],
        f"multi-level [T={MULTILEVEL[0]}, N={MULTILEVEL[1]}]": reports["multi-level"],
    }
    print(comparison_table(named))
    binary, multilevel = reports["binary"].total, reports["multi-level"].total
    print(f"binary / multi-level energy: {binary / multilevel:.2f}x")
    if args.checkpoint is None:
        print(
            "note: untrained weights with calibrated batch norm (busier than a trained network); "
            "pass --checkpoint for a trained one, --multilevel-cost to charge spikes otherwise"
        )
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        from mlsnn_edu.energy.plots import plot_energy_comparison

        ax = plot_energy_comparison(named, title=f"Energy per inference: {own.model}")
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        ax.figure.savefig(args.plot, dpi=150)
        print(f"plot saved to {args.plot}")
    return 0
