"""Chapter 6 checkers: the solutions pass, wrong answers fail with a hint."""

from __future__ import annotations

import math

from mlsnn_edu.classroom.ch06 import (
    check_break_even_rate,
    check_layer_accumulates,
    check_spike_units,
)


def test_layer_accumulates() -> None:
    # by hand: 200 units * 3*3 positions * 32 maps + T=2 * 32*8*8 updates + 150 resets
    assert check_layer_accumulates(200 * 9 * 32 + 2 * 32 * 64 + 150)
    synaptic_only = check_layer_accumulates(200 * 9 * 32)
    assert not synaptic_only and "synaptic part" in synaptic_only.message
    no_reset = check_layer_accumulates(200 * 9 * 32 + 2 * 32 * 64)
    assert not no_reset and "reset" in no_reset.message
    one_timestep = check_layer_accumulates(200 * 9 * 32 + 32 * 64 + 150)
    assert not one_timestep and "timesteps" in one_timestep.message


def test_layer_accumulates_rejects_plausible_readings_of_the_layer() -> None:
    right = 200 * 9 * 32 + 2 * 32 * 64 + 150
    with_addressing = check_layer_accumulates(right + 200 * 9)  # H_k W_k per incoming unit
    assert not with_addressing and "addressing" in with_addressing.message
    one_map = check_layer_accumulates(200 * 9 + 2 * 32 * 64 + 150)  # forgot the C_out maps
    assert not one_map and "several maps" in one_map.message
    one_position = check_layer_accumulates(200 * 32 + 2 * 32 * 64 + 150)  # forgot the reach
    assert not one_position and "several positions" in one_position.message
    assert not check_layer_accumulates("right")
    generic = check_layer_accumulates(12345).message
    assert "ceil" not in generic and "* " not in generic  # leads, does not give the formula


def solution_units(events, mass, max_value, levels, rule):
    if rule == "accumulate":
        return mass
    if rule == "event_mac":
        return events
    return events * max(levels, math.ceil(max_value))


def test_spike_units() -> None:
    assert check_spike_units(solution_units)

    def always_n(events, mass, max_value, levels, rule):  # forgets values above N (SEW sums)
        return (
            events * levels
            if rule == "linear_in_N"
            else solution_units(events, mass, max_value, levels, rule)
        )

    result = check_spike_units(always_n)
    assert not result and "linear_in_N" in result.message and "SEW" in result.message

    def counts_events(events, mass, max_value, levels, rule):
        return (
            events
            if rule == "accumulate"
            else solution_units(events, mass, max_value, levels, rule)
        )

    result = check_spike_units(counts_events)
    assert not result and "'accumulate'" in result.message


def test_spike_units_hints_lead_without_stating_the_rule() -> None:
    def charged_by_mass(events, mass, max_value, levels, rule):
        return (
            mass if rule == "event_mac" else solution_units(events, mass, max_value, levels, rule)
        )

    def charged_by_largest_recorded(events, mass, max_value, levels, rule):  # forgets N
        if rule == "linear_in_N":
            return events * max_value
        return solution_units(events, mass, max_value, levels, rule)

    def linear_by_mass(events, mass, max_value, levels, rule):
        return (
            mass if rule == "linear_in_N" else solution_units(events, mass, max_value, levels, rule)
        )

    results = [
        check_spike_units(wrong)
        for wrong in (charged_by_mass, charged_by_largest_recorded, linear_by_mass)
    ]
    assert not any(results)
    assert "'event_mac'" in results[0].message and "value is free" in results[0].message
    assert "'linear_in_N'" in results[1].message and "'linear_in_N'" in results[2].message
    for result in results:  # no hint names the recorded number or the formula to return
        for giveaway in ("max(", "mass", "events *", "N, or more"):
            assert giveaway not in result.message, (giveaway, result.message)


def break_even_by_hand(timesteps: int = 4) -> float:
    """The solution written out: E(r) = a + b r for the spiking layer, solved for the ANN's energy."""
    from mlsnn_edu.energy import PRESETS

    preset = PRESETS["horowitz45nm"]
    n, weights = 64 * 32 * 32, 64 * 64 * 9

    def ram(values):
        return 1.09e-5 * values * 32 + 13.2

    ann = (
        n * 64 * 9 * (0.9 + 3.7)  # MACs
        + n * 0.9  # bias adds
        + (64 * 32 * 32 + n + 64 * 9) * 0.9  # addressing
        + n * 64 * 9 * (ram(weights) + ram(n))  # weight and input reads
        + n * ram(64)  # bias reads
        + n * ram(n)  # output writes
    )
    steady = timesteps * n * (0.9 + 2 * ram(n) + ram(64))  # update, potential read/write, bias
    per_unit = (
        9 * 64 * 0.9  # synaptic accumulates
        + 2 * 4.6
        + 9 * 0.9  # addressing
        + 64 * 9 * (ram(weights) + 2 * ram(n))  # weights, potential reads and writes
        + ram(n)  # input read
        + 0.9
        + ram(n)  # reset and output write
    )
    assert preset.add_pj == 0.9
    return (ann - steady) / (per_unit * timesteps * n)


def test_break_even_rate() -> None:
    answer = break_even_by_hand()
    assert 0.1 < answer < 0.25
    assert check_break_even_rate(answer)
    assert check_break_even_rate(round(answer, 5))
    one_timestep = check_break_even_rate(break_even_by_hand(timesteps=1))
    assert not one_timestep and "T = 1" in one_timestep.message
    assert not check_break_even_rate(4.2)
    assert not check_break_even_rate(answer * 1.5)


def test_break_even_rate_rejects_a_layer_with_a_part_missing() -> None:
    from mlsnn_edu.classroom.ch06 import break_even_rate

    # leaving out the neurons moves r only in the fourth digit: three decimals cannot tell
    synapses_only = break_even_rate(neurons=False)
    assert abs(synapses_only - break_even_by_hand()) < 0.005
    result = check_break_even_rate(synapses_only)
    assert not result and "part of the layer is missing" in result.message
    silent_neurons = check_break_even_rate(break_even_rate(output_spikes=False))
    assert not silent_neurons and "part of the layer is missing" in silent_neurons.message
    per_inference = check_break_even_rate(break_even_rate(spikes_per_rate=1))
    assert not per_inference and "per timestep" in per_inference.message
    rounded = check_break_even_rate(round(break_even_by_hand(), 3))
    assert not rounded and "unrounded" in rounded.message
    generic = check_break_even_rate(0.5).message
    assert "at 0 and at 1" not in generic and "linear" not in generic
