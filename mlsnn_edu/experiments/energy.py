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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from mlsnn_edu.data import EVENT_DATASETS, build_datasets
from mlsnn_edu.energy import EnergyReport, estimate_energy, measure_activity
from mlsnn_edu.models import build_model
from mlsnn_edu.models.layers import model_input
from mlsnn_edu.settings import seed_everything
from mlsnn_edu.training import CheckpointError, TrainConfig, load_checkpoint


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


@dataclass
class ComparedNetwork:
    """One compared network: architecture, coding, where its weights come from."""

    model: str
    coding: Coding
    width: int
    dataset: str = "digits"
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
    """The trained network a trainer checkpoint holds."""
    payload = load_checkpoint(path)
    try:
        config = TrainConfig.from_dict(payload["config"])
    except ValueError as error:
        raise CheckpointError(f"{path} holds a config that cannot be used: {error}") from None
    options = dict(config.model_options)
    theta = float(options.pop("theta", 1.0))
    return ComparedNetwork(
        model=config.model,
        coding=Coding(config.timesteps, config.levels, theta),
        width=config.width,
        dataset=config.dataset,
        resolution=config.resolution,
        model_options=options,
        state=payload["model"],
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
        try:
            model.load_state_dict(network.state)
        except RuntimeError as error:
            first_line = str(error).strip().splitlines()[0]
            raise CheckpointError(
                f"{network.label}: the saved weights do not fit: {first_line}"
            ) from None
    return model


def compare_energy(
    networks: list[ComparedNetwork],
    *,
    samples: int = 64,
    calibration_samples: int = 256,
    seed: int = 0,
    device: torch.device | str = "cpu",
    data_root: str | Path = "data",
    download: bool = False,
    preset: str = "horowitz45nm",
    multilevel_cost: str = "accumulate",
) -> list[EnergyRow]:
    """The ANN with the first network's layers, then every network, each on the same test images.

    Activity is averaged over the first ``samples`` test images of each
    network's dataset, in eval mode. Untrained networks are calibrated on the
    first ``calibration_samples`` training images.
    """
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
    dataset: str = "digits",
    own: Coding | None = None,
    calibration_samples: int = 256,
) -> list[ComparedNetwork]:
    """``model`` untrained at its own coding (first) and at the binary and multi-level codings."""
    source = f"untrained, batch norm calibrated on {calibration_samples} training images"
    codings = [own or MULTILEVEL] + [c for c in (BINARY, MULTILEVEL) if c != (own or MULTILEVEL)]
    return [ComparedNetwork(model, coding, width, dataset, source=source) for coding in codings]
