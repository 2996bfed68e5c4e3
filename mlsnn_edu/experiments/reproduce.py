"""The paper's comparisons, at embedded-data scale (quick) or from the paper-scale configs.

Two comparisons, one table:

* VGG16, binary [T=4, N=1] against multi-level [T=1, N=4]: the same number of
  output levels per neuron (N*T + 1 = 5), in four timesteps or in one;
* SEW-ResNet18 against Sparse-ResNet18 at T=1, N in {1, 2, 4, 8}: what the
  barrier neurons do to accuracy and to activity.

Each row gives the test accuracy and the activity per test sample, summed over
every neuron and residual sum (the monitor's total): spike events (non-zero
values) and spike mass (sum of values).

Every experiment's configuration is built and checked before the first one
trains, so a missing config file or a bad device stops the command at once.
``device`` and ``out_root`` apply at both scales; at paper scale, without
``out_root``, each run keeps the ``out_dir`` its YAML file names.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from mlsnn_edu.experiments.results import Network, sew, sparse
from mlsnn_edu.training import TrainConfig, fit
from mlsnn_edu.training.config import read_yaml

PAPER_EXPERIMENTS: tuple[Network, ...] = (
    Network("VGG16 binary", "vgg16_snn", 4, 1),
    Network("VGG16 multi-level", "vgg16_snn", 1, 4),
    *(sew(n) for n in (1, 2, 4, 8)),
    *(sparse(n) for n in (1, 2, 4, 8)),
)
PAPER_DATASETS = ("cifar10", "cifar100", "cifar10_dvs")

#: Quick mode: narrow networks, a few epochs on the embedded digits (a few minutes on 2 cores).
QUICK_SETTINGS = dict(
    dataset="digits",
    width=8,
    epochs=6,
    batch_size=64,
    optimizer="adam",
    lr=3e-3,
    weight_decay=0.0,
    activity_samples=360,
)


@dataclass
class Result:
    """What one experiment ended with."""

    experiment: Network
    accuracy: float  # test accuracy in [0, 1]
    events: float  # spike events per test sample, all layers, summed over T
    mass: float  # spike mass per test sample, all layers, summed over T
    seconds: float


def experiment_config(
    experiment: Network,
    *,
    quick: bool,
    out_root: str | Path | None,
    dataset: str = "cifar10",
    configs_dir: str | Path = "configs",
    progress: bool = True,
    download: bool = False,
    device: str = "auto",
) -> TrainConfig:
    """The training configuration of ``experiment``: quick settings, or its YAML file.

    The run goes to ``out_root/<config name>``; at paper scale ``out_root=None``
    keeps the YAML file's own ``out_dir``.
    """
    name = Path(experiment.config_name("digits" if quick else dataset)).stem
    if quick:
        return TrainConfig(
            model=experiment.model,
            timesteps=experiment.timesteps,
            levels=experiment.levels,
            out_dir=str(Path(out_root or "runs/reproduce-quick") / name),
            progress=progress,
            device=device,
            **QUICK_SETTINGS,
        )
    path = Path(configs_dir) / experiment.config_name(dataset)
    if not path.is_file():
        raise ValueError(
            f"--configs {configs_dir}: no {path.name} there; give the folder of the paper's "
            "configs (configs/ in the repository) with --configs, or run --quick"
        )
    values = read_yaml(path, "--configs: the config")
    values.update(progress=progress, download=download, device=device)
    if out_root is not None:
        values["out_dir"] = str(Path(out_root) / name)
    return TrainConfig.from_dict(values)


def run_experiment(config: TrainConfig, experiment: Network) -> Result:
    """Train (or resume) one experiment and read its last epoch."""
    start = time.perf_counter()
    last = fit(config).history[-1]
    total = last["activity"]["total"]
    return Result(
        experiment,
        last["test_accuracy"],
        total["events"],
        total["mass"],
        time.perf_counter() - start,
    )


def run_experiments(
    experiments: tuple[Network, ...] | None = None,
    *,
    quick: bool = True,
    out_root: str | Path | None = "runs/reproduce-quick",
    dataset: str = "cifar10",
    configs_dir: str | Path = "configs",
    progress: bool = True,
    download: bool = False,
    device: str = "auto",
) -> list[Result]:
    """Run every experiment (default: :data:`PAPER_EXPERIMENTS`) in turn, on ``device``.

    Each resumes from its own checkpoint if present, so an interrupted run
    picks up where it stopped and a finished one only reads its results.
    Every configuration is built (and checked) before the first run starts.
    """
    chosen = PAPER_EXPERIMENTS if experiments is None else experiments
    configs = [
        experiment_config(
            experiment,
            quick=quick,
            out_root=out_root,
            dataset=dataset,
            configs_dir=configs_dir,
            progress=progress,
            download=download,
            device=device,
        )
        for experiment in chosen
    ]
    return [run_experiment(config, experiment) for config, experiment in zip(configs, chosen)]


def results_table(results: list[Result]) -> str:
    """One line per experiment: model, T, N, accuracy, events/sample, spike mass/sample."""
    header = ("model", "T", "N", "accuracy", "events/sample", "spike mass/sample")
    rows = [
        (
            r.experiment.label,
            str(r.experiment.timesteps),
            str(r.experiment.levels),
            f"{100 * r.accuracy:.1f}%",
            f"{r.events:,.0f}",
            f"{r.mass:,.0f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths))
        )
        for row in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
