"""Chapter 1's bridge: snntorch's Leaky with no leak and a subtractive reset is this IF neuron.

The spikes agree wherever the potential never lands exactly on the threshold;
snntorch fires on v > theta and reports the potential before its (delayed)
reset, this library fires on v >= theta and reports it after.
"""

from __future__ import annotations

import pytest
import snntorch
import torch

from mlsnn_edu.neurons import MultiLevelIF, run_neuron


def snntorch_run(currents: torch.Tensor, threshold: float = 1.0):
    neuron = snntorch.Leaky(beta=1.0, threshold=threshold, reset_mechanism="subtract")
    membrane = neuron.init_leaky()
    spikes, potentials = [], []
    for current in currents:
        spike, membrane = neuron(current, membrane)
        spikes.append(spike)
        potentials.append(membrane)
    return torch.stack(spikes), torch.stack(potentials)


@pytest.mark.parametrize("threshold", [1.0, 0.5])
def test_random_currents_give_the_same_spikes(threshold: float) -> None:
    generator = torch.Generator().manual_seed(7)
    currents = 1.5 * threshold * torch.rand(100, 500, generator=generator, dtype=torch.float64)
    currents -= 0.3 * threshold
    theirs, their_potentials = snntorch_run(currents, threshold)
    ours, our_potentials = run_neuron(currents, levels=1, theta=threshold)
    assert ours.sum() > 1000
    assert torch.equal(theirs.to(ours.dtype), ours)
    assert torch.allclose(their_potentials - threshold * theirs, our_potentials)
    module = MultiLevelIF(levels=1, theta=threshold)(currents)  # the nn.Module agrees too
    assert torch.equal(module, ours)


def test_a_potential_exactly_on_the_threshold_is_where_they_part() -> None:
    currents = torch.tensor([[0.5], [0.5], [0.25]], dtype=torch.float64)  # v = 1.0 at t = 2
    theirs, _ = snntorch_run(currents)
    ours, _ = run_neuron(currents, levels=1)
    assert ours.flatten().tolist() == [0.0, 1.0, 0.0]
    assert theirs.flatten().tolist() == [0.0, 0.0, 1.0]  # fires only once v > 1
