r"""Energy of whole networks, compared: what ``mlsnn-edu energy`` and chapter 6 compute.

Every compared network is one :class:`ComparedNetwork`: an architecture at a coding
(T, N, :math:`\theta`) with weights that are either **trained** (a checkpoint)
or **untrained**, fixed by a seed, with batch-norm statistics calibrated on
training images (:func:`~mlsnn_edu.energy.calibration.calibrate_batch_norm`).
Its label says all of that, so two rows of a comparison never differ for an
unstated reason.

The paper's two codings, with the same input range (chapter 2: both neurons
cover :math:`[0, 1]` with five levels under direct encoding):

* :data:`BINARY`: [T=4, N=1], :math:`\theta = 1`;
* :data:`MULTILEVEL`: [T=1, N=4], :math:`\theta = 1/4`.

A trained network keeps the coding it was trained with: training fits its
batch norms to its own threshold, so comparing trained networks needs one
checkpoint per coding (``mlsnn-edu reproduce --sweep`` trains them).

What a comparison uses when a setting is not given (width, coding, dataset,
samples, ...) is :data:`ENERGY_DEFAULTS`, for ``mlsnn-edu energy`` and the chapters alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from mlsnn_edu.checks import check_choice, check_positive_int, first_line
from mlsnn_edu.data import EVENT_DATASETS, build_datasets
from mlsnn_edu.energy import EnergyReport, estimate_energy, measure_activity
from mlsnn_edu.models import MODEL_NAMES, build_model
from mlsnn_edu.models.layers import model_input
from mlsnn_edu.settings import full_scale, resolve_device, seed_everything
from mlsnn_edu.training import CheckpointError, load_trained
from mlsnn_edu.training.checkpoint import weights_mismatch


@dataclass(frozen=True)
class Coding:
    """How a network's neurons code values: T timesteps, N levels, threshold theta."""

    timesteps: int
    levels: int
    theta: float

    def describe(self) -> str:
        return f"T={self.timesteps}, N={self.levels}, θ={self.theta:g}"


BINARY = Coding(timesteps=4, levels=1, theta=1.0)
MULTILEVEL = Coding(timesteps=1, levels=4, theta=0.25)


@dataclass(frozen=True)
class EnergyDefaults:
    """The settings of an energy comparison that is not told otherwise.

    ``mlsnn-edu energy`` reads its defaults here, and so can a chapter.

    Attributes:
        width: channels of an untrained network's first layer in quick mode;
            ``full_width`` at paper scale (``MLSNN_EDU_FULL=1``): see :meth:`network_width`.
        coding: an untrained network's own coding; given another N alone, its
            threshold is 1/N, so that the neuron still covers [0, 1] (:meth:`coding_for`).
        dataset: the inputs of an untrained network.
        samples: test images the activity is averaged over.
        calibration_samples: training images an untrained network's batch norms are set on.
        preset: the energy per operation (a name of :data:`mlsnn_edu.energy.PRESETS`).
        multilevel_cost: how a spike of value k is charged (one of ``MULTILEVEL_COSTS``).
        seed: the seed of untrained weights.
        data_root: the folder of the real datasets.
    """

    width: int = 16
    full_width: int = 64
    coding: Coding = MULTILEVEL
    dataset: str = "digits"
    samples: int = 64
    calibration_samples: int = 256
    preset: str = "horowitz45nm"
    multilevel_cost: str = "accumulate"
    seed: int = 0
    data_root: str = "data"

    def network_width(self) -> int:
        """``width`` in quick mode, ``full_width`` at paper scale."""
        return self.full_width if full_scale() else self.width

    def coding_for(
        self, timesteps: int | None = None, levels: int | None = None, theta: float | None = None
    ) -> Coding:
        """T, N and theta where given; otherwise T and N of :attr:`coding`, and theta = 1/N."""
        levels = self.coding.levels if levels is None else levels
        return Coding(
            self.coding.timesteps if timesteps is None else timesteps,
            levels,
            1.0 / levels if theta is None else theta,
        )


#: The one set of defaults: ``mlsnn-edu energy`` and the functions below use it.
ENERGY_DEFAULTS = EnergyDefaults()


@dataclass
class ComparedNetwork:
    """One compared network: architecture, coding, where its weights come from."""

    model: str
    coding: Coding
    width: int
    dataset: str = ENERGY_DEFAULTS.dataset
    resolution: int = 32
    model_options: dict = field(default_factory=dict)
    state: dict | None = None  # trained weights; None: untrained (seeded, calibrated)
    source: str = ""
    split_seed: int = 0  # the digits' train/test split the network was trained on

    @property
    def label(self) -> str:
        return f"{self.model} [{self.coding.describe()}] ({self.source})"


@dataclass
class EnergyRow:
    """A compared network and its estimate."""

    label: str
    report: EnergyReport

    def table(self) -> str:
        """The report's per-layer table, headed by this row's label (coding and weights' source)."""
        return self.report.table(self.label)


def from_checkpoint(path: str | Path) -> ComparedNetwork:
    """The trained network a trainer checkpoint holds.

    The checkpoint is read by :func:`~mlsnn_edu.training.load_trained`, as
    ``mlsnn-edu evaluate`` reads it: one that cannot be used (damaged, holding
    another architecture's weights, or NaN or infinite weights from a run that
    diverged) raises :class:`~mlsnn_edu.training.CheckpointError` naming the file.
    """
    model, config = load_trained(path)
    options = dict(config.model_options)
    theta = float(options.pop("theta", 1.0))
    return ComparedNetwork(
        model=config.model,
        coding=Coding(config.timesteps, config.levels, theta),
        width=config.width,
        dataset=config.dataset,
        resolution=config.resolution,
        model_options=options,
        state=model.state_dict(),
        source=f"trained, {Path(path)}",
        split_seed=config.seed,
    )


def _first(split, count: int) -> torch.Tensor:
    return model_input(torch.stack([split[i][0] for i in range(min(count, len(split)))]))


def build(network: ComparedNetwork, num_classes: int, in_channels: int, seed: int) -> nn.Module:
    """The network's model with its weights (trained, or drawn from ``seed``)."""
    seed_everything(seed)  # untrained networks of one comparison share their initial weights
    model = build_model(
        network.model,
        num_classes=num_classes,
        timesteps=network.coding.timesteps,
        levels=network.coding.levels,
        width=network.width,
        in_channels=in_channels,
        theta=network.coding.theta,
        **network.model_options,
    )
    if network.state is not None:
        mismatch = weights_mismatch(model, network.state)
        if not mismatch:
            try:
                model.load_state_dict(network.state)
            except (RuntimeError, TypeError, ValueError) as error:
                mismatch = first_line(error)
        if mismatch:
            raise CheckpointError(f"{network.label}: the saved weights do not fit: {mismatch}")
    return model


def compare_energy(
    networks: list[ComparedNetwork],
    *,
    samples: int = ENERGY_DEFAULTS.samples,
    calibration_samples: int = ENERGY_DEFAULTS.calibration_samples,
    seed: int = ENERGY_DEFAULTS.seed,
    device: torch.device | str = "cpu",
    data_root: str | Path = ENERGY_DEFAULTS.data_root,
    download: bool = False,
    preset: str = ENERGY_DEFAULTS.preset,
    multilevel_cost: str = ENERGY_DEFAULTS.multilevel_cost,
) -> list[EnergyRow]:
    """The ANN with the first network's layers, then every network, each on the same test images.

    Activity is averaged over the first ``samples`` test images of each
    network's dataset, in eval mode. Untrained networks are calibrated on the
    first ``calibration_samples`` training images.
    """
    if not networks:
        raise ValueError("networks must hold at least one ComparedNetwork, got none")
    samples = check_positive_int(samples, "samples")
    calibration_samples = check_positive_int(calibration_samples, "calibration_samples")
    device = resolve_device(device)  # a GPU that is not there is named here
    rows: list[EnergyRow] = []
    for network in networks:
        data = build_datasets(
            network.dataset,
            root=data_root,
            download=download,
            timesteps=network.coding.timesteps,
            resolution=network.resolution,
            seed=network.split_seed,
        )
        model = build(network, data.num_classes, data.in_channels, seed).to(device)
        test = _first(data.test, samples).to(device)
        untrained = network.state is None
        calibration = _first(data.train, calibration_samples).to(device) if untrained else None
        monitor = measure_activity(model, test, calibrate_on=calibration)
        if not rows:
            ann = estimate_energy(model, None, input_shape=tuple(test.shape[-3:]), preset=preset)
            rows.append(EnergyRow(f"ANN with the layers of {network.model}", ann))
        report = estimate_energy(
            model,
            monitor,
            preset=preset,
            multilevel_cost=multilevel_cost,
            input_spikes=network.dataset in EVENT_DATASETS,
        )
        rows.append(EnergyRow(network.label, report))
    return rows


def untrained_networks(
    model: str,
    *,
    width: int,
    dataset: str = ENERGY_DEFAULTS.dataset,
    own: Coding | None = None,
    calibration_samples: int = ENERGY_DEFAULTS.calibration_samples,
) -> list[ComparedNetwork]:
    """``model`` untrained at its own coding (first; default ``ENERGY_DEFAULTS.coding``) and
    at the binary and multi-level codings."""
    check_choice(model, MODEL_NAMES, "model")
    check_positive_int(width, "width")
    if own is not None and not isinstance(own, Coding):
        raise TypeError(f"own must be a Coding (e.g. Coding(1, 4, 0.25)), got {own!r:.60}")
    source = f"untrained, batch norm calibrated on {calibration_samples} training images"
    own = own or ENERGY_DEFAULTS.coding
    codings = [own] + [c for c in (BINARY, MULTILEVEL) if c != own]
    return [ComparedNetwork(model, coding, width, dataset, source=source) for coding in codings]
