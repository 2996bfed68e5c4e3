"""The multi-level IF neuron against its references: the micro-step loop, hand values, snntorch."""

from __future__ import annotations

import pytest
import snntorch
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsnn_edu.neurons import MultiLevelIF, microstep_step, multilevel_step, run_neuron


@pytest.mark.parametrize("levels", range(1, 9))
@pytest.mark.parametrize("timesteps", range(1, 5))
def test_closed_form_equals_microstep_loop(levels: int, timesteps: int) -> None:
    generator = torch.Generator().manual_seed(100 * levels + timesteps)
    currents = torch.randn(timesteps, 64, 5, generator=generator) * levels  # about half negative
    closed_spikes, closed_v = run_neuron(currents, levels=levels)
    loop_spikes, loop_v = run_neuron(currents, levels=levels, step=microstep_step)
    assert torch.equal(closed_spikes, loop_spikes)
    assert torch.equal(closed_v, loop_v)
    assert (currents < 0).any()


@settings(max_examples=200, deadline=None)
@given(
    currents=st.lists(st.floats(-20, 20, width=32), min_size=1, max_size=6),
    levels=st.integers(1, 8),
    theta=st.sampled_from([0.25, 0.5, 1.0, 2.0]),
)
def test_closed_form_equals_microstep_loop_any_sequence(currents, levels, theta) -> None:
    x = torch.tensor(currents, dtype=torch.float32).reshape(-1, 1)
    closed = run_neuron(x, levels=levels, theta=theta)
    loop = run_neuron(x, levels=levels, theta=theta, step=microstep_step)
    assert torch.equal(closed[0], loop[0])
    assert torch.equal(closed[1], loop[1])


def test_threshold_not_a_power_of_two_agrees_up_to_rounding() -> None:
    generator = torch.Generator().manual_seed(7)
    currents = torch.rand(4, 4096, generator=generator) * 3
    closed_spikes, closed_v = run_neuron(currents, levels=4, theta=0.7)
    loop_spikes, loop_v = run_neuron(currents, levels=4, theta=0.7, step=microstep_step)
    away_from_ties = (closed_v - 0.7 * torch.round(closed_v / 0.7)).abs() > 1e-4
    assert torch.equal(closed_spikes[away_from_ties], loop_spikes[away_from_ties])
    torch.testing.assert_close(closed_v, loop_v, atol=1e-5, rtol=0)


def test_hand_computed_values() -> None:
    # Input 0.6 per step, theta 1, binary: no spike, then a spike leaving 1.2 - 1 = 0.2.
    spikes, v = run_neuron(torch.tensor([[0.6], [0.6]]), levels=1)
    assert spikes.flatten().tolist() == [0.0, 1.0]
    assert v.flatten().tolist() == pytest.approx([0.6, 0.2])
    # Input 3.5 with N = 4: three spikes in one step, 0.5 left; N = 2 clamps at 2, 1.5 carried.
    z, v_next = multilevel_step(torch.zeros(1), torch.tensor([3.5]), levels=4)
    assert (z.item(), v_next.item()) == (3.0, 0.5)
    z, v_next = multilevel_step(torch.zeros(1), torch.tensor([3.5]), levels=2)
    assert (z.item(), v_next.item()) == (2.0, 1.5)
    # Negative current: no spike, the potential goes below 0 and stays there.
    z, v_next = multilevel_step(torch.zeros(1), torch.tensor([-0.3]), levels=4)
    assert (z.item(), v_next.item()) == (0.0, pytest.approx(-0.3))


def test_binary_neuron_matches_snntorch_leaky_with_subtractive_reset() -> None:
    generator = torch.Generator().manual_seed(3)
    currents = torch.rand(12, 256, generator=generator) * 1.6 - 0.3
    theta = 1.0
    neuron = snntorch.Leaky(beta=1.0, threshold=theta, reset_mechanism="subtract")
    membrane = neuron.init_leaky()
    reference = []
    for current in currents:
        spike, membrane = neuron(current, membrane)
        reference.append(spike)
    reference = torch.stack(reference)
    ours, potentials = run_neuron(currents, levels=1, theta=theta)
    # snntorch fires on v > theta, we on v >= theta: compare away from exact ties.
    pre_fire = potentials + theta * ours
    away_from_ties = (pre_fire - theta).abs() > 1e-6
    assert away_from_ties.float().mean() > 0.99
    assert torch.equal(ours[away_from_ties], reference.detach()[away_from_ties])
    assert ours.sum() > 100


@pytest.mark.parametrize("timesteps", [1, 3])
@pytest.mark.parametrize("surrogate", ["sigmoid", "ste"])
def test_module_forward_equals_closed_form_sequence(timesteps: int, surrogate: str) -> None:
    currents = torch.randn(timesteps, 8, 3, 4, 4, generator=torch.Generator().manual_seed(1)) * 3
    spikes = MultiLevelIF(levels=4, surrogate=surrogate)(currents)
    expected, _ = run_neuron(currents, levels=4)
    assert spikes.shape == currents.shape
    assert torch.equal(spikes, expected)


def test_module_state_resets_between_calls() -> None:
    # One step of 0.6 leaves v = 0.6: a neuron that kept it would fire on the next call.
    neuron = MultiLevelIF(levels=1)
    currents = torch.full((1, 1), 0.6)
    assert neuron(currents).item() == 0.0
    assert neuron(currents).item() == 0.0
    two_steps = torch.full((3, 1), 0.6)
    assert neuron(two_steps).flatten().tolist() == [0.0, 1.0, 0.0]
    assert neuron(two_steps).flatten().tolist() == [0.0, 1.0, 0.0]


def test_module_gradient_flows_through_time() -> None:
    currents = (torch.rand(3, 16) * 2).requires_grad_()
    MultiLevelIF(levels=2, surrogate="sigmoid")(currents).sum().backward()
    assert currents.grad is not None and currents.grad.abs().sum() > 0
    assert torch.isfinite(currents.grad).all()


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        (dict(levels=0), "levels"),
        (dict(levels=2.5), "levels"),
        (dict(theta=0.0), "theta"),
        (dict(theta=-1.0), "theta"),
        (dict(alpha=0.0), "alpha"),
        (dict(surrogate="tanh"), "surrogate"),
    ],
)
def test_bad_arguments_name_themselves(kwargs: dict, argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        MultiLevelIF(**kwargs)


def test_bad_inputs_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"\[T, B, \.\.\.\]"):
        MultiLevelIF()(torch.ones(5))
    with pytest.raises(ValueError, match="timesteps"):
        MultiLevelIF()(torch.ones(0, 2))
    with pytest.raises(ValueError, match=">= 1"):
        multilevel_step(torch.zeros(1), torch.ones(1), levels=0)
    with pytest.raises(ValueError, match="theta"):
        multilevel_step(torch.zeros(1), torch.ones(1), levels=1, theta=0)
    with pytest.raises(ValueError, match="same shape"):
        multilevel_step(torch.zeros(3), torch.ones(2, 3), levels=1)
    with pytest.raises(ValueError, match="ste_mask"):
        MultiLevelIF(surrogate="ste", ste_mask="no")
