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
    assert check_break_even_rate(round(answer, 3))
    one_timestep = check_break_even_rate(break_even_by_hand(timesteps=1))
    assert not one_timestep and "T = 1" in one_timestep.message
    assert not check_break_even_rate(4.2)
    assert not check_break_even_rate(answer * 1.5)
