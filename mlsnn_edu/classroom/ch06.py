"""Checkers for chapter 6, the analytical energy model."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from mlsnn_edu.classroom.checking import (
    CheckResult,
    as_function,
    as_number,
    failed,
    passed,
    reports_wrong_answers,
)
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
    units_in: float,
    units_out: float,
) -> float:
    """Accumulates of a 3x3, stride 1 spiking conv (synapse and neurons), ``size`` x ``size`` output."""
    geometry = SynapseGeometry(
        in_channels, out_channels, (3, 3), (1, 1), 1, (size, size), (size, size)
    )
    synapse = spiking_synapse_counts(geometry, units_in)
    neurons = neuron_counts(
        geometry.outputs, out_channels, timesteps=timesteps, units_out=units_out
    )
    return synapse.acc + neurons.acc


@reports_wrong_answers
def check_layer_accumulates(answer: float) -> CheckResult:
    """Exercise 6.1: accumulates of a 3x3 conv, 16 -> 32 channels, 8x8, T = 2, 200 units in, 150 out.

    The question asks for the synapses' and the neurons' accumulates, without the
    addressing accumulates (which the model lists apart).
    """
    name = "Exercise 6.1 (accumulates of one layer)"
    expected = layer_accumulates(
        in_channels=16, out_channels=32, size=8, timesteps=2, units_in=200, units_out=150
    )
    synaptic = 200 * 9 * 32
    addressing = 200 * 3 * 3  # H_k W_k accumulates per incoming spike unit
    answer = as_number(answer, name, "the number of accumulates as one number")
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
    if answer == expected + addressing:
        return failed(name, "the question leaves out the addressing accumulates: count them apart")
    if answer == expected - synaptic + 200 * 9 or answer == expected - synaptic + 200 * 32:
        return failed(
            name, "one incoming spike is accumulated at several positions of several maps"
        )
    return failed(
        name,
        "go through the chapter's list for a spiking layer term by term: what one incoming "
        "spike costs, what a neuron costs at every timestep, what an emitted spike costs",
    )


@reports_wrong_answers
def check_spike_units(
    units: Callable[[float, float, float, int, str], float],
) -> CheckResult:
    """Exercise 6.2: ``units(events, mass, max_value, levels, rule)`` for the three rules."""
    name = "Exercise 6.2 (charging a multi-level spike)"
    units = as_function(units, name, "units(events, mass, max_value, levels, rule) -> units")
    generator = random.Random(62)
    for _ in range(40):
        levels = generator.randint(1, 8)
        events = float(generator.randint(1, 500))
        max_value = float(generator.randint(1, 3 * levels))
        mass = events * generator.uniform(1.0, max_value)
        for rule in MULTILEVEL_COSTS:
            expected = spike_units(events, mass, max_value, levels=levels, multilevel_cost=rule)[0]
            got = as_number(
                units(events, mass, max_value, levels, rule), name, f"{rule!r}: one number"
            )
            if not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9):
                return failed(
                    name, f"{rule!r}: " + _units_hint(rule, got, events, mass, max_value, levels)
                )
    return passed(name, "the three rules agree with the library on 40 hidden streams")


def _units_hint(
    rule: str, got: float, events: float, mass: float, max_value: float, levels: int
) -> str:
    """What the wrong count for ``rule`` looks like it did; it leads, it does not answer."""

    def near(value: float) -> bool:
        return math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-9)

    if rule == "accumulate":
        if near(events):
            return "your count does not grow with the spikes' values; under this rule it must"
        return "which of the recorded numbers grows by k when a spike of value k arrives?"
    if rule == "event_mac":
        if near(mass):
            return "your count grows with the values; under this rule a spike's value is free"
        return "what does this rule charge per spike, and does the value change it?"
    if near(events * levels):
        return (
            "right while every value fits in N; what must a stream carrying larger ones "
            "(after a SEW sum) cost?"
        )
    if near(events * max_value):
        return "a stream built for N levels: what does it cost when no recorded value reaches N?"
    if near(mass) or near(events):
        return "under this rule a spike's cost does not depend on its own value"
    return "what does one event cost under this rule, whatever its value?"


#: Exercise 6.3's tolerance, relative: leaving out the neurons' output spikes moves r by 6.5e-4 of it.
RATE_RTOL = 1e-4


def break_even_rate(
    *,
    channels: int = 64,
    size: int = 32,
    timesteps: int = 4,
    preset: str = "horowitz45nm",
    spikes_per_rate: int | None = None,
    neurons: bool = True,
    output_spikes: bool = True,
) -> float:
    """Input spike rate per timestep at which a spiking 3x3 conv costs as much as its ANN twin.

    The layer keeps ``channels`` channels on a ``size`` x ``size`` map; it emits as
    many spike units as it receives. Its energy is linear in the rate r, so
    :math:`r^* = (E_{ANN} - E(0)) / (E(1) - E(0))`. The last three arguments
    give the answers of typical mistakes, for the checker's hints: spikes counted
    as ``rate * spikes_per_rate * inputs`` instead of ``rate * timesteps *
    inputs``, the neurons left out, or their output spikes left out.
    """
    costs = get_preset(preset)
    geometry = SynapseGeometry(channels, channels, (3, 3), (1, 1), 1, (size, size), (size, size))
    per_rate = timesteps if spikes_per_rate is None else spikes_per_rate

    def energy(rate: float) -> float:
        units = rate * per_rate * geometry.inputs
        counts = spiking_synapse_counts(geometry, units)
        if neurons:
            counts = counts + neuron_counts(
                geometry.outputs,
                channels,
                timesteps=timesteps,
                units_out=units if output_spikes else 0.0,
            )
        return sum(energy_by_kind(counts, costs).values())

    ann = sum(energy_by_kind(ann_synapse_counts(geometry), costs).values())
    return (ann - energy(0.0)) / (energy(1.0) - energy(0.0))


@reports_wrong_answers
def check_break_even_rate(answer: float) -> CheckResult:
    """Exercise 6.3: the break-even rate of a binary [T=4] 64-channel 3x3 conv on 32x32 (horowitz45nm)."""
    name = "Exercise 6.3 (break-even spike rate)"
    answer = as_number(answer, name, "the rate as one number")

    def near(value: float) -> bool:
        return abs(answer - value) <= RATE_RTOL * value

    if near(break_even_rate()):
        return passed(
            name, "above this rate per timestep, the spiking layer costs more than the ANN"
        )
    if not 0.0 <= answer <= 1.0:
        return failed(
            name, "a rate is the fraction of inputs that spike per timestep: between 0 and 1"
        )
    if near(break_even_rate(timesteps=1)):
        return failed(
            name, "that is the rate for T = 1: at T = 4 the spikes of four timesteps add up"
        )
    if near(break_even_rate(spikes_per_rate=1)):
        return failed(name, "r is per timestep: how many spikes does the layer get in T = 4 steps?")
    if near(break_even_rate(neurons=False)) or near(break_even_rate(output_spikes=False)):
        return failed(
            name,
            "close, but the question is about synapses and neurons, with as many spikes out as "
            "in: a part of the layer is missing (it moves r by 1 % or less)",
        )
    if abs(answer - break_even_rate()) <= 0.005:
        return failed(name, "close: keep the rate unrounded, the checker compares four digits")
    return failed(
        name,
        "how does the spiking layer's energy change as r grows, and where does it meet the "
        "ANN layer's?",
    )
