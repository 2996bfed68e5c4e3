"""Levels, the direct-encoding quantizer and its error, against simulated neurons."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlsnn_edu.neurons import run_neuron
from mlsnn_edu.quantization import num_levels, quantization_error, quantize, spike_total


def simulated_spike_total(
    x: torch.Tensor, timesteps: int, levels: int, theta: float
) -> torch.Tensor:
    """Feed the same current for T steps to the neuron and count its spikes."""
    spikes, _ = run_neuron(x.expand(timesteps, *x.shape).clone(), levels=levels, theta=theta)
    return spikes.sum(0)


@pytest.mark.parametrize(("timesteps", "levels"), [(1, 1), (4, 1), (1, 4), (2, 3), (3, 8)])
@pytest.mark.parametrize("theta", [1.0, 0.5])
def test_quantizer_is_what_a_neuron_does_under_direct_encoding(timesteps, levels, theta) -> None:
    # Grid points that sit between the staircase's steps (no ties with a threshold).
    x = (torch.arange(-40, 40 * levels) + 0.37) * (theta / 16)
    assert torch.equal(
        spike_total(x, timesteps=timesteps, levels=levels, theta=theta),
        simulated_spike_total(x, timesteps, levels, theta),
    )
    expected = simulated_spike_total(x, timesteps, levels, theta) * theta / timesteps
    torch.testing.assert_close(
        quantize(x, timesteps=timesteps, levels=levels, theta=theta), expected
    )


@pytest.mark.parametrize(("timesteps", "levels"), [(1, 1), (4, 1), (1, 4), (3, 5)])
def test_number_of_distinct_outputs_is_n_t_plus_one(timesteps, levels) -> None:
    x = torch.linspace(-1, levels + 1, 20001, dtype=torch.float64)
    distinct = torch.unique(quantize(x, timesteps=timesteps, levels=levels)).numel()
    assert distinct == num_levels(timesteps, levels) == levels * timesteps + 1


def test_error_matches_an_independent_numpy_computation() -> None:
    rng = np.random.default_rng(0)
    sample = rng.uniform(-0.5, 3.0, 5000)
    timesteps, levels, theta = 2, 3, 0.8
    rate = np.clip(np.floor(timesteps * sample / theta), 0, levels * timesteps) * theta / timesteps
    result = quantization_error(
        torch.from_numpy(sample), timesteps=timesteps, levels=levels, theta=theta
    )
    assert result.levels == 7
    assert result.mse == pytest.approx(np.mean((rate - sample) ** 2))
    assert result.max_abs == pytest.approx(np.max(np.abs(rate - sample)))


def test_more_timesteps_or_levels_never_increase_the_error_on_their_range() -> None:
    x = torch.linspace(0, 1, 10001, dtype=torch.float64)
    errors = [quantization_error(x, timesteps=t, levels=1).mse for t in (1, 2, 4, 8)]
    assert errors == sorted(errors, reverse=True)
    x = torch.linspace(0, 8, 10001, dtype=torch.float64)
    errors = [quantization_error(x, timesteps=1, levels=n).mse for n in (1, 2, 4, 8)]
    assert errors == sorted(errors, reverse=True)


def test_equivalence_t4_n1_and_t1_n4_under_direct_encoding() -> None:
    """Same spike totals when the T=1 neuron receives the window's whole charge T*I."""
    current = torch.linspace(-2, 2, 4001, dtype=torch.float64)  # negative currents included
    binary = simulated_spike_total(current, timesteps=4, levels=1, theta=1.0)
    multilevel = simulated_spike_total(4 * current, timesteps=1, levels=4, theta=1.0)
    assert torch.equal(binary, multilevel)
    # Same current and same threshold: the same 5 levels, but on a 4x wider input axis.
    same_current = simulated_spike_total(current, timesteps=1, levels=4, theta=1.0)
    assert not torch.equal(binary, same_current)


def test_equivalence_breaks_for_time_varying_currents() -> None:
    # A spike fired at t=1 cannot be taken back by the negative current at t=2;
    # one timestep with the summed charge (0) fires nothing.
    sequence = torch.tensor([[1.0], [-1.0], [0.0], [0.0]])
    binary, _ = run_neuron(sequence, levels=1)
    multilevel, _ = run_neuron(sequence.sum(0, keepdim=True), levels=4)
    assert binary.sum().item() == 1 and multilevel.sum().item() == 0
    # A late burst: the binary neuron has no timesteps left to spend it.
    late = torch.tensor([[0.0], [0.0], [0.0], [2.0]])
    assert run_neuron(late, levels=1)[0].sum().item() == 1
    assert run_neuron(late.sum(0, keepdim=True), levels=4)[0].sum().item() == 2


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(timesteps=0, levels=1), "timesteps"),
        (dict(timesteps=1, levels=0), "levels"),
        (dict(timesteps=1, levels=1, theta=-2.0), "theta"),
    ],
)
def test_bad_arguments(kwargs, argument) -> None:
    with pytest.raises(ValueError, match=argument):
        quantize(torch.zeros(3), **kwargs)
    with pytest.raises(ValueError, match="empty"):
        quantization_error(torch.zeros(0), timesteps=1, levels=1)
