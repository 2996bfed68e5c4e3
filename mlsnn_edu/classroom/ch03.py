"""Checkers for chapter 3, the spike avalanche."""

from __future__ import annotations

from collections.abc import Callable

import torch

from mlsnn_edu.classroom.checking import (
    CheckResult,
    as_function,
    as_number,
    as_pair,
    failed,
    passed,
    reports_wrong_answers,
)
from mlsnn_edu.data.digits import digits_datasets
from mlsnn_edu.models import build_model
from mlsnn_edu.models.layers import ReLU, mean_over_time
from mlsnn_edu.monitor import SpikeMonitor, residual_sums
from mlsnn_edu.settings import seed_everything

MASS_TOLERANCE = 0.05  # relative


def sew_sum_bound(block: int, levels: int) -> int:
    """Largest value of a SEW residual sum, block ``block`` of its stage, T = 1.

    The stage input (projection neuron or, in stage 1, the stem) is at most N;
    each block adds a branch of at most N: (block + 2) * N.
    """
    return (block + 2) * levels


@reports_wrong_answers
def check_sew_bound(sew_bound: Callable[[int, int], int]) -> CheckResult:
    """Exercise 3.1: ``sew_bound(block, levels)``, the largest value of a SEW sum."""
    name = "Exercise 3.1 (SEW bound)"
    sew_bound = as_function(sew_bound, name, "sew_bound(block, levels) -> the largest value")
    for block in range(6):
        for levels in (1, 2, 4, 8):
            answer = as_number(sew_bound(block, levels), name, "one number per (block, levels)")
            expected = sew_sum_bound(block, levels)
            if answer == expected:
                continue
            if answer == (block + 1) * levels:
                return failed(name, "block 0 already adds two spike tensors, each up to N")
            if answer == 2**block * levels or answer == 2 ** (block + 1) * levels:
                return failed(name, "the shortcut adds the previous sum once: growth is linear")
            return failed(name, "count the spike tensors that have been added at this block")
    return passed(name, "one more N per block: the avalanche grows linearly within a stage")


class _OneLayer(torch.nn.Module):
    """A one-layer network whose recorded layer outputs its (non-negative) input unchanged."""

    def __init__(self, timesteps: int) -> None:
        super().__init__()
        self.timesteps = timesteps
        self.layer = ReLU()
        self.layer.activity_name = "z"

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return mean_over_time(self.layer(z), self.timesteps)


def monitored_events_and_mass(z: torch.Tensor, timesteps: int) -> tuple[float, float]:
    """What ``SpikeMonitor`` reports for a layer that output the spikes ``z`` once."""
    network = _OneLayer(timesteps)
    with SpikeMonitor(network) as monitor:
        network(z)
    activity = monitor.summary()["z"]
    return activity.events, activity.mass


@reports_wrong_answers
def check_events_and_mass(
    events_and_mass: Callable[[torch.Tensor, int], tuple[float, float]],
) -> CheckResult:
    """Exercise 3.2: per-sample events and mass of a time-folded spike tensor."""
    name = "Exercise 3.2 (events and mass)"
    events_and_mass = as_function(
        events_and_mass, name, "events_and_mass(z, timesteps) -> (events, mass)"
    )
    generator = torch.Generator().manual_seed(32)
    for timesteps, batch, levels in ((1, 5, 4), (3, 4, 1), (2, 7, 3)):
        currents = torch.randn(timesteps * batch, 6, 5, 5, generator=generator) * levels
        z = torch.clamp(torch.floor(currents), 0, levels)
        expected = monitored_events_and_mass(z, timesteps)
        events, mass = as_pair(events_and_mass(z.clone(), timesteps), name, "(events, mass)")
        events = as_number(events, name, "events as one number (the mean per sample)")
        mass = as_number(mass, name, "mass as one number (the mean per sample)")
        if abs(events - expected[0]) > 1e-6 * expected[0]:
            if abs(events - expected[1]) < 1e-6 * expected[1]:
                return failed(name, "events count non-zero values, whatever their size")
            if abs(events * timesteps - expected[0]) < 1e-6 * expected[0]:
                return failed(name, "sum over the timesteps: divide by the number of samples only")
            return failed(name, "events: the number of non-zero values, per sample")
        if abs(mass - expected[1]) > 1e-6 * expected[1]:
            if abs(mass * timesteps - expected[1]) < 1e-6 * expected[1]:
                return failed(name, "sum over the timesteps: divide by the number of samples only")
            return failed(name, "mass: the sum of the values, per sample")
    return passed(name)


def sew_mass_above_n() -> float:
    """The reference answer of exercise 3.3, computed as the exercise describes."""
    seed_everything(3)
    model = build_model("sew_resnet18", width=8, levels=4, timesteps=1, num_classes=10).train()
    test = digits_datasets()[1]
    x = torch.stack([test[i][0] for i in range(64)])
    values = residual_sums(model, x)["sum1"]
    return float((values - 4).clamp(min=0).sum() / values.sum())


@reports_wrong_answers
def check_mass_above_n(answer: float) -> CheckResult:
    """Exercise 3.3: share of SEW's sum1 spike mass above N on the probe batch."""
    name = "Exercise 3.3 (mass above N)"
    answer = as_number(answer, name, "a fraction between 0 and 1")
    if not 0.0 <= answer <= 1.0:
        return failed(name, "give a fraction between 0 and 1")
    expected = sew_mass_above_n()
    if abs(float(answer) - expected) <= MASS_TOLERANCE * expected:
        return passed(name, "that is the part of sum1's mass a barrier would clip away")
    if float(answer) == 0.0:
        return failed(name, "some values do exceed N: look at the largest value at sum1")
    if float(answer) > 0.5:
        return failed(name, "count only the part of each value above N, not the whole value")
    return failed(
        name,
        "clip each value to N, compare the mass that remains with the mass before; "
        "check the seed, the width and train mode",
    )
