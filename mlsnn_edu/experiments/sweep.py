"""The paper's claims across scale: a sweep of trained networks, written as JSON with its provenance.

``mlsnn-edu reproduce --sweep`` trains, on the embedded digits, for each width
and seed:

* SEW- and Sparse-ResNet18 [T=1, N] for N in 1, 2, 4, 8: the barrier's effect
  on activity (spike events and mass, at ``sum1`` and over the whole network)
  and on energy;
* VGG16 binary [T=4, N=1] and multi-level [T=1, N=4]: the energy of the two
  spike codings.

After every epoch it records the test accuracy, the activity per test image and
the energy per inference under each way of charging a multi-level spike, so
the results show both scale (width) and training length (epochs). Each width
goes to its own file, ``results/sweep/width-W.json``, with the command, commit,
seeds, library versions, device and wall time that produced it; a run that is
interrupted keeps the widths already written. The chapters plot these files;
``tests/test_results.py`` checks them against :data:`SWEEP_SETTINGS`.

Every network here is trained with threshold 1 (the paper's setting): training
fits each network's batch norms to its own coding.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from mlsnn_edu import __version__
from mlsnn_edu.energy import MULTILEVEL_COSTS, estimate_energy
from mlsnn_edu.experiments.reproduce import PAPER_EXPERIMENTS, QUICK_SETTINGS, Experiment
from mlsnn_edu.files import write_atomically
from mlsnn_edu.monitor import record_activity, total_activity
from mlsnn_edu.settings import resolve_device
from mlsnn_edu.training import CheckpointError, TrainConfig, Trainer

SCHEMA = "mlsnn-edu-sweep-1"
SWEEP_WIDTHS = (8, 16, 32, 64)
SWEEP_SEEDS = (0, 1, 2)
#: The experiments run at every width, and those run only up to :data:`ALL_EXPERIMENTS_UP_TO`.
CORE_EXPERIMENTS: tuple[Experiment, ...] = tuple(
    e for e in PAPER_EXPERIMENTS if e.model == "vgg16_snn" or e.levels == 4
)
ALL_EXPERIMENTS_UP_TO = 16
#: Training of every sweep run: the quick settings of ``reproduce --quick`` at every width.
SWEEP_SETTINGS = {key: value for key, value in QUICK_SETTINGS.items() if key != "width"}
ENERGY_PRESET = "horowitz45nm"
RESULTS_DIR = Path("results") / "sweep"


@dataclass(frozen=True)
class SweepRun:
    """One trained network of the sweep."""

    experiment: Experiment
    width: int
    seed: int

    @property
    def name(self) -> str:
        e = self.experiment
        return f"{e.model}_t{e.timesteps}n{e.levels}_w{self.width}_s{self.seed}"


def sweep_runs(widths: tuple[int, ...], seeds: tuple[int, ...], all_levels: bool) -> list[SweepRun]:
    """Every run of the sweep: all experiments up to width 16 (or everywhere with ``all_levels``)."""
    runs = []
    for width in widths:
        experiments = (
            PAPER_EXPERIMENTS if all_levels or width <= ALL_EXPERIMENTS_UP_TO else CORE_EXPERIMENTS
        )
        runs += [SweepRun(e, width, seed) for e in experiments for seed in seeds]
    return runs


def measure(
    model: torch.nn.Module, inputs: torch.Tensor, autocast_dtype: torch.dtype | None = None
) -> dict:
    """Activity per test image (every layer and the total) and energy per inference in uJ."""
    model.eval()
    monitor = record_activity(model, inputs, autocast_dtype=autocast_dtype)
    summary = monitor.summary()
    total = total_activity(summary)
    return {
        "events": {name: a.events for name, a in summary.items()} | {"total": total.events},
        "mass": {name: a.mass for name, a in summary.items()} | {"total": total.mass},
        "energy_uj": {
            cost: estimate_energy(model, monitor, preset=ENERGY_PRESET, multilevel_cost=cost).total
            / 1e6
            for cost in MULTILEVEL_COSTS
        },
    }


def train_and_measure(run: SweepRun, out_root: Path, device: str) -> dict:
    """Train one run (resuming from its checkpoint) and measure it after every epoch."""
    e = run.experiment
    config = TrainConfig(
        model=e.model,
        timesteps=e.timesteps,
        levels=e.levels,
        width=run.width,
        seed=run.seed,
        out_dir=str(out_root / run.name),
        device=device,
        progress=False,
        **SWEEP_SETTINGS,
    )
    start = time.perf_counter()
    trainer = Trainer(config)
    test_images = torch.stack([trainer.data.test[i][0] for i in range(len(trainer.data.test))])
    test_images = test_images.to(trainer.device)
    # Kept beside the checkpoint, so a resumed run still has its earlier epochs'
    # measurements. The trainer calls after_epoch before writing the checkpoint, so
    # an interrupted epoch is trained and measured again on resume.
    saved = Path(config.out_dir) / "sweep-measurements.json"
    measured = json.loads(saved.read_text(encoding="utf-8")) if saved.is_file() else []
    epochs = {record["epoch"]: record for record in measured}

    def after_epoch(epoch: int, record: dict) -> None:
        measures = measure(trainer.model, test_images, trainer.autocast_dtype)
        epochs[epoch] = {"epoch": epoch, "test_accuracy": record["test_accuracy"], **measures}
        write_atomically(saved, json.dumps(sorted(epochs.values(), key=lambda r: r["epoch"])))

    try:
        trainer.fit(on_epoch=after_epoch)
    finally:
        trainer.close()
    if sorted(epochs) != list(range(1, config.epochs + 1)):
        raise CheckpointError(
            f"{config.out_dir} holds a run whose measurements are incomplete (epochs "
            f"{sorted(epochs)}); delete the folder to train and measure it again"
        )
    epochs = [epochs[number] for number in sorted(epochs)]
    return {
        "label": e.label,
        "model": e.model,
        "timesteps": e.timesteps,
        "levels": e.levels,
        "theta": 1.0,
        "width": run.width,
        "seed": run.seed,
        "seconds": round(time.perf_counter() - start, 1),
        "epochs": [_rounded_epoch(record) for record in epochs],
    }


def _rounded_epoch(record: dict) -> dict:
    def keep(value: float) -> float:
        return float(f"{value:.6g}")

    return {
        "epoch": record["epoch"],
        "test_accuracy": keep(record["test_accuracy"]),
        "events": {k: keep(v) for k, v in record["events"].items()},
        "mass": {k: keep(v) for k, v in record["mass"].items()},
        "energy_uj": {k: keep(v) for k, v in record["energy_uj"].items()},
    }


def provenance(command: list[str], device: torch.device, seeds: tuple[int, ...]) -> dict:
    """Where the numbers come from: command, commit, versions, device, threads and date."""

    def git(*arguments: str) -> str:
        try:
            return subprocess.run(
                ["git", *arguments], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "unknown"

    return {
        "command": " ".join(command),
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": git("status", "--porcelain", "--untracked-files=no")
        not in ("", "unknown"),
        "seeds": list(seeds),
        "versions": {
            "mlsnn_edu": __version__,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "device": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or "cpu",
        "threads": torch.get_num_threads(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def run_sweep(
    *,
    widths: tuple[int, ...] = SWEEP_WIDTHS,
    seeds: tuple[int, ...] = SWEEP_SEEDS,
    all_levels: bool = False,
    results_dir: Path = RESULTS_DIR,
    runs_dir: Path = Path("runs") / "sweep",
    device: str = "auto",
    progress: bool = True,
    command: list[str] | None = None,
) -> list[Path]:
    """Run the sweep width by width; write and return one results file per width."""
    resolved = resolve_device(device)
    written = []
    for width in widths:
        runs = sweep_runs((width,), seeds, all_levels)
        start = time.perf_counter()
        records = []
        bar = tqdm(runs, desc=f"sweep, width {width}", disable=not progress)
        for run in bar:
            bar.set_postfix_str(run.name)
            records.append(train_and_measure(run, runs_dir, device))
        payload = {
            "schema": SCHEMA,
            "width": width,
            "settings": {**SWEEP_SETTINGS, "energy_preset": ENERGY_PRESET, "theta": 1.0},
            "provenance": {
                **provenance(command or sys.argv, resolved, seeds),
                "wall_s": round(time.perf_counter() - start, 1),
            },
            "runs": records,
        }
        path = results_dir / f"width-{width}.json"
        write_atomically(path, json.dumps(payload, indent=1) + "\n")
        written.append(path)
    return written


def load_results(results_dir: Path = RESULTS_DIR) -> list[dict]:
    """Every committed results file, widths in increasing order."""
    files = sorted(results_dir.glob("width-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    return [json.loads(path.read_text(encoding="utf-8")) for path in files]


def experiment_of(record: dict) -> Experiment:
    return Experiment(record["label"], record["model"], record["timesteps"], record["levels"])


# --- reading the results -------------------------------------------------------------------

Key = tuple[str, int, int]  # (model, timesteps, levels)
SEW_N4: Key = ("sew_resnet18", 1, 4)
SPARSE_N4: Key = ("sparse_resnet18", 1, 4)
VGG_BINARY: Key = ("vgg16_snn", 4, 1)
VGG_MULTILEVEL: Key = ("vgg16_snn", 1, 4)


def runs_of(results: list[dict], key: Key) -> dict[tuple[int, int], dict]:
    """The runs of one network, by (width, seed)."""
    return {
        (run["width"], run["seed"]): run
        for payload in results
        for run in payload["runs"]
        if (run["model"], run["timesteps"], run["levels"]) == key
    }


def ratios(
    results: list[dict], numerator: Key, denominator: Key, value, epoch: int = -1
) -> dict[int, list[float]]:
    """``value(num) / value(den)`` per width, one ratio per seed trained for both networks.

    ``value`` reads one epoch's record (e.g. ``lambda r: r["events"]["sum1"]``);
    ``epoch`` picks the epoch (-1: the last).
    """
    top, bottom = runs_of(results, numerator), runs_of(results, denominator)
    by_width: dict[int, list[float]] = {}
    for width, seed in sorted(top.keys() & bottom.keys()):
        a, b = value(top[width, seed]["epochs"][epoch]), value(bottom[width, seed]["epochs"][epoch])
        by_width.setdefault(width, []).append(a / b)
    return by_width


def ratios_by_epoch(
    results: list[dict], numerator: Key, denominator: Key, value, width: int
) -> dict[int, list[float]]:
    """``value(num) / value(den)`` per epoch at one width, one ratio per seed."""
    top, bottom = runs_of(results, numerator), runs_of(results, denominator)
    by_epoch: dict[int, list[float]] = {}
    for w, seed in sorted(top.keys() & bottom.keys()):
        if w != width:
            continue
        for a, b in zip(top[w, seed]["epochs"], bottom[w, seed]["epochs"]):
            by_epoch.setdefault(a["epoch"], []).append(value(a) / value(b))
    return by_epoch


def spread(values: list[float]) -> str:
    """``mean [min, max]`` of a few ratios, as the tables print them."""
    return f"{np.mean(values):.2f} [{min(values):.2f}, {max(values):.2f}]"


SPARSE_VS_SEW = {
    "events at sum1": lambda r: r["events"]["sum1"],
    "mass at sum1": lambda r: r["mass"]["sum1"],
    "events, all layers": lambda r: r["events"]["total"],
    "mass, all layers": lambda r: r["mass"]["total"],
}


def summary_table(results: list[dict]) -> str:
    """Per width: Sparse/SEW activity ratios [T=1, N=4] and binary/multi-level VGG16 energy ratios."""
    lines = [
        "Sparse-ResNet18 / SEW-ResNet18 [T=1, N=4], trained, per test image "
        "(mean [min, max] over seeds; < 1: fewer with barriers)",
        f"{'width':>5}  " + "  ".join(f"{name:>22}" for name in SPARSE_VS_SEW),
    ]
    measured = {
        name: ratios(results, SPARSE_N4, SEW_N4, value) for name, value in SPARSE_VS_SEW.items()
    }
    for width in sorted({w for by_width in measured.values() for w in by_width}):
        cells = [
            spread(measured[name][width]) if width in measured[name] else "-"
            for name in SPARSE_VS_SEW
        ]
        lines.append(f"{width:>5}  " + "  ".join(f"{cell:>22}" for cell in cells))
    lines += [
        "",
        "VGG16 binary [T=4, N=1] / multi-level [T=1, N=4] energy, trained (> 1: multi-level cheaper)",
        f"{'width':>5}  " + "  ".join(f"{cost:>22}" for cost in MULTILEVEL_COSTS),
    ]
    energy = {
        cost: ratios(results, VGG_BINARY, VGG_MULTILEVEL, lambda r, c=cost: r["energy_uj"][c])
        for cost in MULTILEVEL_COSTS
    }
    for width in sorted({w for by_width in energy.values() for w in by_width}):
        cells = [spread(energy[c][width]) if width in energy[c] else "-" for c in MULTILEVEL_COSTS]
        lines.append(f"{width:>5}  " + "  ".join(f"{cell:>22}" for cell in cells))
    return "\n".join(lines)
