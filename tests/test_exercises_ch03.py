"""Chapter 3 checkers: the solutions pass, wrong answers fail with a hint."""

from __future__ import annotations

import torch

from mlsnn_edu.exercises import check_events_and_mass, check_mass_above_n, check_sew_bound
from mlsnn_edu.exercises.ch03 import sew_mass_above_n


def test_sew_bound():
    assert check_sew_bound(lambda block, levels: (block + 2) * levels)
    one_short = check_sew_bound(lambda block, levels: (block + 1) * levels)
    assert not one_short and "block 0" in one_short.message
    doubling = check_sew_bound(lambda block, levels: 2 ** (block + 1) * levels)
    assert not doubling and "linear" in doubling.message


def solution_events_and_mass(z, timesteps):
    samples = z.shape[0] // timesteps
    return float(torch.count_nonzero(z)) / samples, float(z.sum()) / samples


def test_events_and_mass():
    assert check_events_and_mass(solution_events_and_mass)

    def mass_as_events(z, timesteps):
        return solution_events_and_mass(z, timesteps)[1], solution_events_and_mass(z, timesteps)[1]

    result = check_events_and_mass(mass_as_events)
    assert not result and "non-zero" in result.message

    def per_row(z, timesteps):
        return float(torch.count_nonzero(z)) / z.shape[0], float(z.sum()) / z.shape[0]

    result = check_events_and_mass(per_row)
    assert not result and "timesteps" in result.message


def test_mass_above_n():
    expected = sew_mass_above_n()
    assert 0.0 < expected < 0.5
    assert check_mass_above_n(expected)
    assert not check_mass_above_n(0.0)
    whole_values = check_mass_above_n(0.9)
    assert not whole_values and "above N" in whole_values.message
    assert not check_mass_above_n(expected * 1.5)
