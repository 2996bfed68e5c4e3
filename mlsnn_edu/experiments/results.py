r"""The committed results of trained networks: one place to read them, measure them and judge a claim.

The sweep (:mod:`~mlsnn_edu.experiments.sweep`) writes one JSON file per
trained network (a *run*); this module reads them back as typed records,
checks each file on load (the file and the field are named when one is wrong),
and turns them into the quantities the book quotes:

* :func:`paired_ratios` — a measure of network A over the same measure of
  network B, one ratio per seed trained for both (same width, same seed);
* :func:`paired_differences` — accuracy differences, per seed trained for both.

The intervals over seeds, the accuracy gate and the verdict rule that turn
these into chapter 8's verdicts are in :mod:`~mlsnn_edu.experiments.verdict`.

The committed results ship inside the package (:data:`COMMITTED_RESULTS`), so a
chapter finds them from an installed copy as well as from a checkout.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA = "mlsnn-edu-run-2"
#: Where the committed sweep lives: package data, found from a checkout or an installed copy.
COMMITTED_RESULTS = Path(__file__).resolve().parents[1] / "committed_results" / "sweep"


class ResultsError(ValueError):
    """A results file or folder that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Network:
    """Which network a run trained: the one name for it across the library."""

    label: str
    model: str
    timesteps: int
    levels: int

    @property
    def name(self) -> str:
        return f"{self.model}_t{self.timesteps}n{self.levels}"

    def config_name(self, dataset: str) -> str:
        """File name of the paper-scale config, e.g. ``cifar10_sparse_resnet18_t1n4.yaml``."""
        return f"{dataset}_{self.name}.yaml"

    def __str__(self) -> str:
        return f"{self.label} [T={self.timesteps}, N={self.levels}]"


ANN = Network("ANN-ResNet18", "ann_resnet18", 1, 4)
SEW_N4 = Network("SEW-ResNet18", "sew_resnet18", 1, 4)
SPARSE_N4 = Network("Sparse-ResNet18", "sparse_resnet18", 1, 4)
VGG_BINARY = Network("VGG16 binary", "vgg16_snn", 4, 1)
VGG_MULTILEVEL = Network("VGG16 multi-level", "vgg16_snn", 1, 4)


def sew(levels: int) -> Network:
    return Network("SEW-ResNet18", "sew_resnet18", 1, levels)


def sparse(levels: int) -> Network:
    return Network("Sparse-ResNet18", "sparse_resnet18", 1, levels)


@dataclass(frozen=True)
class EpochRecord:
    r"""What was measured after one epoch, per test image (spikes summed over timesteps).

    ``above_levels`` holds, for each residual sum, the spike mass above N,
    :math:`\frac1S\sum \max(s - N, 0)`: in a SEW network, what a barrier would
    clip with the same weights.
    """

    epoch: int
    test_accuracy: float
    events: dict[str, float]
    mass: dict[str, float]
    above_levels: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    """One trained network: its recipe, every epoch's measurements, the final energy, provenance."""

    network: Network
    width: int
    seed: int
    recipe: dict
    code: str
    epochs: tuple[EpochRecord, ...]
    energy_uj: dict[str, float]
    provenance: dict
    path: Path | None = None

    @property
    def final(self) -> EpochRecord:
        return self.epochs[-1]

    @property
    def accuracy(self) -> float:
        """Final test accuracy in % (what the gate and the tables compare)."""
        return 100 * self.final.test_accuracy

    def converged(self) -> bool:
        """Whether the test accuracy had stopped improving (:func:`stopped_improving`)."""
        accuracies = [e.test_accuracy for e in self.epochs]
        return stopped_improving(accuracies, patience=PATIENCE, tolerance=TOLERANCE)

    def plateau_epoch(self) -> int:
        """The first epoch whose accuracy is within :data:`TOLERANCE` of the run's best."""
        best = max(e.test_accuracy for e in self.epochs)
        return next(e.epoch for e in self.epochs if e.test_accuracy >= best - TOLERANCE)

    def sum_mass_above_levels(self, epoch: int = -1, *, of_network: bool = False) -> float:
        """Share of the residual sums' spike mass above N: the most a barrier can remove there.

        With ``of_network``, the same mass as a share of the whole network's.
        """
        record = self.epochs[epoch]
        if of_network:
            total = record.mass["total"]
        else:
            total = sum(record.mass[name] for name in record.above_levels)
        return sum(record.above_levels.values()) / total if total else 0.0


#: Convergence: the last PATIENCE epochs raised the best test accuracy by at most TOLERANCE.
#: One point is the resolution of the digits' 360 test images: the standard error of an
#: accuracy near 97 % is sqrt(0.97 * 0.03 / 360) = 0.9 points.
PATIENCE = 5
TOLERANCE = 0.01


def stopped_improving(accuracies: list[float], *, patience: int, tolerance: float) -> bool:
    r"""True when the last ``patience`` epochs raised the best accuracy by at most ``tolerance``.

    With ``accuracies`` :math:`a_1..a_E`, it holds when
    :math:`\max_{e > E-p} a_e \le \max_{e \le E-p} a_e + \text{tol}`: the run
    had reached its plateau at least ``patience`` epochs before its end.
    """
    if len(accuracies) <= patience:
        return False
    before, last = accuracies[:-patience], accuracies[-patience:]
    return max(last) <= max(before) + tolerance


# --- reading ------------------------------------------------------------------------------------


def _field(payload: dict, name: str, kind: type | tuple[type, ...], path: Path) -> object:
    if name not in payload:
        raise ResultsError(f"{path}: field {name!r} is missing (schema {SCHEMA})")
    value = payload[name]
    if isinstance(value, bool) or not isinstance(value, kind):
        wanted = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ResultsError(f"{path}: field {name!r} must be {wanted}, got {value!r:.60}")
    return value


def _numbers(payload: dict, name: str, path: Path) -> dict[str, float]:
    values = _field(payload, name, dict, path)
    for key, value in values.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise ResultsError(
                f"{path}: field {name}[{key!r}] must be a finite number, got {value!r}"
            )
    return {key: float(value) for key, value in values.items()}


def parse_run(payload: object, path: Path) -> RunRecord:
    """A :class:`RunRecord` from the JSON ``payload`` read from ``path``, every field checked."""
    if not isinstance(payload, dict):
        raise ResultsError(f"{path}: a run file holds a JSON object, got {type(payload).__name__}")
    schema = payload.get("schema")
    if schema != SCHEMA:
        raise ResultsError(
            f"{path}: schema {schema!r}, expected {SCHEMA!r}; rerun `mlsnn-edu reproduce --sweep`"
        )
    net = _field(payload, "network", dict, path)
    network = Network(
        label=str(_field(net, "label", str, path)),
        model=str(_field(net, "model", str, path)),
        timesteps=int(_field(net, "timesteps", int, path)),
        levels=int(_field(net, "levels", int, path)),
    )
    epochs = []
    for record in _field(payload, "epochs", list, path):
        if not isinstance(record, dict):
            raise ResultsError(f"{path}: every entry of 'epochs' must be an object")
        accuracy = float(_field(record, "test_accuracy", (int, float), path))
        if not 0.0 <= accuracy <= 1.0:
            raise ResultsError(f"{path}: test_accuracy must be in [0, 1], got {accuracy}")
        epochs.append(
            EpochRecord(
                epoch=int(_field(record, "epoch", int, path)),
                test_accuracy=accuracy,
                events=_numbers(record, "events", path),
                mass=_numbers(record, "mass", path),
                above_levels=_numbers(record, "above_levels", path),
            )
        )
    if not epochs or [e.epoch for e in epochs] != list(range(1, len(epochs) + 1)):
        raise ResultsError(f"{path}: 'epochs' must list epochs 1, 2, ... in order")
    recipe = _field(payload, "recipe", dict, path)
    for name in ("name", "optimizer", "lr", "epochs", "batch_size"):
        _field(recipe, name, (str, int, float), path)
    return RunRecord(
        network=network,
        width=int(_field(payload, "width", int, path)),
        seed=int(_field(payload, "seed", int, path)),
        recipe=recipe,
        code=str(_field(payload, "code", str, path)),
        epochs=tuple(epochs),
        energy_uj=_numbers(payload, "energy_uj", path),
        provenance=_field(payload, "provenance", dict, path),
        path=path,
    )


def load_run(path: str | Path) -> RunRecord:
    """Read and check one run file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise ResultsError(f"{path} is a folder, not a run file") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path} is not a text file") from None
    if not text.strip():
        raise ResultsError(f"{path} is empty; delete it and rerun `mlsnn-edu reproduce --sweep`")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        raise ResultsError(
            f"{path} is not valid JSON ({error.msg} at line {error.lineno})"
        ) from None
    return parse_run(payload, path)


def load_runs(folder: str | Path = COMMITTED_RESULTS) -> list[RunRecord]:
    """Every run file (``*.json``) in ``folder``; an error if there is none."""
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a path, got {type(folder).__name__}")
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(
            f"no results folder at {folder}; run `mlsnn-edu reproduce --sweep` to make one"
        )
    runs = [load_run(path) for path in sorted(folder.glob("*.json"))]
    if not runs:
        raise ResultsError(
            f"{folder} holds no run files (*.json); run `mlsnn-edu reproduce --sweep`"
        )
    return runs


# --- measuring ----------------------------------------------------------------------------------

Measure = Callable[[EpochRecord], float]

#: The activity measures the book compares, read from one epoch's record.
ACTIVITY_MEASURES: dict[str, Measure] = {
    "events at sum1": lambda r: r.events["sum1"],
    "mass at sum1": lambda r: r.mass["sum1"],
    "events, all layers": lambda r: r.events["total"],
    "mass, all layers": lambda r: r.mass["total"],
}


def runs_of(runs: Iterable[RunRecord], network: Network, width: int | None = None) -> dict:
    """The runs of ``network`` by ``(width, seed)`` (one width only when given)."""
    return {
        (run.width, run.seed): run
        for run in runs
        if run.network == network and (width is None or run.width == width)
    }


def widths_of(runs: Iterable[RunRecord], network: Network) -> list[int]:
    return sorted({run.width for run in runs if run.network == network})


def paired_ratios(
    runs: Iterable[RunRecord],
    top: Network,
    bottom: Network,
    width: int,
    measure: Measure,
    *,
    epoch: int = -1,
) -> list[float]:
    """``measure(top) / measure(bottom)`` per seed trained for both at ``width`` (epoch -1: last)."""
    runs = list(runs)
    a, b = runs_of(runs, top, width), runs_of(runs, bottom, width)
    return [
        measure(a[key].epochs[epoch]) / measure(b[key].epochs[epoch])
        for key in sorted(a.keys() & b.keys())
    ]


def paired_energy_ratios(
    runs: Iterable[RunRecord], top: Network, bottom: Network, width: int, cost: str
) -> list[float]:
    """Energy per inference of ``top`` over ``bottom`` (trained, last epoch), per seed."""
    runs = list(runs)
    a, b = runs_of(runs, top, width), runs_of(runs, bottom, width)
    return [a[k].energy_uj[cost] / b[k].energy_uj[cost] for k in sorted(a.keys() & b.keys())]


def paired_differences(
    runs: Iterable[RunRecord], top: Network, bottom: Network, width: int
) -> list[float]:
    """Final accuracy of ``top`` minus ``bottom``, in points, per seed trained for both."""
    runs = list(runs)
    a, b = runs_of(runs, top, width), runs_of(runs, bottom, width)
    return [a[k].accuracy - b[k].accuracy for k in sorted(a.keys() & b.keys())]
