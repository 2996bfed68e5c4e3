"""Checkers for chapter 6, the analytical energy model."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from mlsnn_edu.classroom.checking import CheckResult, failed, passed
from mlsnn_edu.energy.counts import (
    MULTILEVEL_COSTS,
    SynapseGeometry,
    ann_synapse_counts,
    neuron_counts,
    spike_units,
    spiking_synapse_counts,
)
from mlsnn_edu.energy.estimate import energy_by_kind
from mlsnn_edu.energy.presets import get_preset


def layer_accumulates(
    *,
    in_channels: int,
    out_channels: int,
    size: int,
    timesteps: int,
    theta_in: float,
    theta_out: float,
) -> float:
    """Accumulates of a 3x3, stride 1 spiking conv (synapse and neurons), ``size`` x ``size`` output."""
    geometry = SynapseGeometry(
        in_channels, out_channels, (3, 3), (1, 1), 1, (size, size), (size, size)
    )
    synapse = spiking_synapse_counts(geometry, theta_in)
    neurons = neuron_counts(
        geometry.outputs, out_channels, timesteps=timesteps, theta_out=theta_out
    )
    return synapse.acc + neurons.acc


def check_layer_accumulates(answer: float) -> CheckResult:
    """Exercise 6.1: accumulates of a 3x3 conv, 16 -> 32 channels, 8x8, T = 2, 200 units in, 150 out."""
    name = "Exercise 6.1 (accumulates of one layer)"
    expected = layer_accumulates(
        in_channels=16, out_channels=32, size=8, timesteps=2, theta_in=200, theta_out=150
    )
    synaptic = 200 * 9 * 32
    if answer == expected:
        return passed(
            name, "synaptic operations, one update per neuron and timestep, one reset per spike"
        )
    if answer == synaptic:
        return failed(name, "that is the synaptic part; the neurons update and reset too")
    if answer == expected - 150:
        return failed(name, "each emitted spike also costs one subtraction (the soft reset)")
    if answer == expected - 32 * 8 * 8:
        return failed(name, "the neurons are updated at every one of the T timesteps")
    return failed(
        name,
        "an incoming spike reaches ceil(Hk/S) * ceil(Wk/S) positions in each of the Cout maps; "
        "add T updates per neuron and one reset per emitted spike",
    )


def check_spike_units(
    units: Callable[[float, float, float, int, str], float],
) -> CheckResult:
    """Exercise 6.2: ``units(events, mass, max_value, levels, rule)`` for the three rules."""
    name = "Exercise 6.2 (charging a multi-level spike)"
    generator = random.Random(62)
    hints = {
        "accumulate": "a spike of value k counts as k unit spikes: which recorded number adds the values?",
        "event_mac": "one event per non-zero value, whatever the value",
        "linear_in_N": "every event costs as many units as the largest value the stream can carry: "
        "N, or more when a larger value was recorded (after a SEW sum)",
    }
    for _ in range(40):
        levels = generator.randint(1, 8)
        events = float(generator.randint(0, 500))
        max_value = float(generator.randint(1, 3 * levels))
        mass = events * generator.uniform(1.0, max_value)
        for rule in MULTILEVEL_COSTS:
            expected = spike_units(events, mass, max_value, levels=levels, multilevel_cost=rule)[0]
            got = units(events, mass, max_value, levels, rule)
            if not math.isclose(float(got), expected, rel_tol=1e-9, abs_tol=1e-9):
                return failed(name, f"{rule!r}: {hints[rule]}")
    return passed(name, "the three rules agree with the library on 40 hidden streams")


def break_even_rate(
    *, channels: int = 64, size: int = 32, timesteps: int = 4, preset: str = "horowitz45nm"
) -> float:
    """Input spike rate per timestep at which a spiking 3x3 conv costs as much as its ANN twin.

    The layer keeps ``channels`` channels on a ``size`` x ``size`` map; it emits as
    many spike units as it receives. Its energy is linear in the rate r, so
    :math:`r^* = (E_{ANN} - E(0)) / (E(1) - E(0))`.
    """
    costs = get_preset(preset)
    geometry = SynapseGeometry(channels, channels, (3, 3), (1, 1), 1, (size, size), (size, size))

    def energy(rate: float) -> float:
        units = rate * timesteps * geometry.inputs
        counts = spiking_synapse_counts(geometry, units) + neuron_counts(
            geometry.outputs, channels, timesteps=timesteps, theta_out=units
        )
        return sum(energy_by_kind(counts, costs).values())

    ann = sum(energy_by_kind(ann_synapse_counts(geometry), costs).values())
    return (ann - energy(0.0)) / (energy(1.0) - energy(0.0))


def check_break_even_rate(answer: float) -> CheckResult:
    """Exercise 6.3: the break-even rate of a binary [T=4] 64-channel 3x3 conv on 32x32 (horowitz45nm)."""
    name = "Exercise 6.3 (break-even spike rate)"
    expected = break_even_rate()
    if abs(float(answer) - expected) <= 0.005:
        return passed(
            name, "above this rate per timestep, the spiking layer costs more than the ANN"
        )
    if not 0.0 <= float(answer) <= 1.0:
        return failed(
            name, "a rate is the fraction of inputs that spike per timestep: between 0 and 1"
        )
    if abs(float(answer) - break_even_rate(timesteps=1)) <= 0.005:
        return failed(
            name, "that is the rate for T = 1: at T = 4 the spikes of four timesteps add up"
        )
    return failed(
        name,
        "the spiking layer's energy is linear in the rate: evaluate it at 0 and at 1 "
        "(spike units = rate * T * inputs, in and out) and solve for the ANN's energy",
    )
