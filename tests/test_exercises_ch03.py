"""Chapter 3 checkers: the solutions pass, wrong answers fail with a hint."""

from __future__ import annotations

import pytest
import torch

from mlsnn_edu.classroom import check_events_and_mass, check_mass_above_n, check_sew_bound
from mlsnn_edu.classroom.ch03 import sew_mass_above_n


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


def mass_above_n_by_a_forward_hook() -> float:
    """Exercise 3.3's answer with a plain forward hook on the second residual sum."""
    from mlsnn_edu.data.digits import digits_datasets
    from mlsnn_edu.models import build_model
    from mlsnn_edu.models.layers import ResidualSum
    from mlsnn_edu.settings import seed_everything

    seed_everything(3)
    model = build_model("sew_resnet18", width=8, levels=4, timesteps=1, num_classes=10).train()
    test = digits_datasets()[1]
    x = torch.stack([test[i][0] for i in range(64)])
    second_sum = [m for m in model.modules() if isinstance(m, ResidualSum)][1]
    captured = []
    handle = second_sum.register_forward_hook(
        lambda module, inputs, output: captured.append(output)
    )
    with torch.no_grad():
        model(x)
    handle.remove()
    values = captured[0]
    return float((values - 4).clamp(min=0).sum() / values.sum())


def test_mass_above_n():
    expected = sew_mass_above_n()
    assert expected == pytest.approx(mass_above_n_by_a_forward_hook(), rel=1e-5)
    assert 0.0 < expected < 0.5
    assert check_mass_above_n(expected)
    assert not check_mass_above_n(0.0)
    whole_values = check_mass_above_n(0.9)
    assert not whole_values and "above N" in whole_values.message
    assert not check_mass_above_n(expected * 1.5)
