"""Spike functions: forward staircase, sigmoid-surrogate and straight-through gradients."""

from __future__ import annotations

import pytest
import torch

from mlsnn_edu.fast_surrogate import one_exponential_derivative
from mlsnn_edu.neurons import MultiLevelIF
from mlsnn_edu.surrogate import multilevel_spike


def smooth_staircase(v: torch.Tensor, levels: int, theta: float, alpha: float) -> torch.Tensor:
    """sum_k sigmoid(alpha (v/theta - k)): the function whose derivative the surrogate uses."""
    return sum(torch.sigmoid(alpha * (v / theta - k)) for k in range(1, levels + 1))


@pytest.mark.parametrize("levels", [1, 2, 4, 8])
@pytest.mark.parametrize(("theta", "alpha"), [(1.0, 5.0), (0.5, 2.0), (2.0, 10.0)])
def test_sigmoid_surrogate_equals_autograd_of_the_smooth_staircase(levels, theta, alpha) -> None:
    v = torch.linspace(-2, (levels + 2) * theta, 997, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(997, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    (ours,) = torch.autograd.grad(
        multilevel_spike(v, levels=levels, theta=theta, alpha=alpha), v, upstream
    )
    (reference,) = torch.autograd.grad(smooth_staircase(v, levels, theta, alpha), v, upstream)
    torch.testing.assert_close(ours, reference)


def test_sigmoid_surrogate_vanishes_far_from_every_threshold() -> None:
    v = torch.tensor([-5.0, 1.0, 20.0], requires_grad=True)
    multilevel_spike(v, levels=4, alpha=5.0).sum().backward()
    far_below, at_threshold, far_above = v.grad.tolist()
    assert at_threshold == pytest.approx(5.0 * 0.25, rel=0.05)  # ~alpha/4: the nearest sigmoid
    assert far_below < 1e-9 and far_above < 1e-20


@pytest.mark.parametrize("surrogate", ["sigmoid", "ste"])
def test_forward_is_the_staircase(surrogate: str) -> None:
    v = torch.tensor([-1.0, 0.0, 0.99, 1.0, 2.5, 4.0, 9.0])
    z = multilevel_spike(v, levels=4, surrogate=surrogate)
    assert z.tolist() == [0, 0, 0, 1, 2, 4, 4]


def test_ste_passes_the_gradient_unchanged() -> None:
    v = torch.tensor([-3.0, 0.5, 2.0, 10.0], requires_grad=True)
    upstream = torch.tensor([1.0, -2.0, 3.0, 4.0])
    multilevel_spike(v, levels=4, surrogate="ste").backward(upstream)
    assert v.grad.tolist() == upstream.tolist()


def test_ste_mask_zeroes_outside_zero_to_n_theta() -> None:
    v = torch.tensor([-0.1, 0.0, 2.0, 4.0, 4.1], requires_grad=True)
    multilevel_spike(v, levels=2, theta=2.0, surrogate="ste", ste_mask=True).sum().backward()
    assert v.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


# --- the one-exponential form equals the definition ----------------------------------------


def one_sigmoid_per_threshold(v: torch.Tensor, levels: int, theta: float, alpha: float):
    """sum_k (alpha/theta) s_k (1 - s_k), s_k = sigmoid(alpha (v/theta - k)): the definition."""
    s = [torch.sigmoid(alpha * (v / theta - k)) for k in range(1, levels + 1)]
    return sum(x * (1 - x) for x in s) * (alpha / theta)


@pytest.mark.parametrize(
    ("levels", "theta", "alpha"), [(1, 1.0, 5.0), (4, 1.0, 5.0), (8, 0.7, 10.0), (3, 1.0, 60.0)]
)
def test_one_exponential_form_equals_the_definition(levels, theta, alpha) -> None:
    # (3, 1.0, 60.0) falls back on the definition (alpha (N - 1) / 2 > 40).
    v = torch.linspace(-40, 40, 8001, dtype=torch.float64)
    expected = one_sigmoid_per_threshold(v, levels, theta, alpha)
    torch.testing.assert_close(one_exponential_derivative(v, levels, theta, alpha), expected)


def test_float32_stays_accurate_and_finite_far_from_the_thresholds() -> None:
    v = torch.linspace(-1000, 1000, 20001)
    got = one_exponential_derivative(v, 8, 1.0, 5.0)
    expected = one_sigmoid_per_threshold(v.double(), 8, 1.0, 5.0)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got.double(), expected, rtol=1e-3, atol=1e-6)


def test_low_precision_input_gives_low_precision_gradient() -> None:
    v = torch.linspace(-2, 6, 101).to(torch.bfloat16)
    got = one_exponential_derivative(v, 4, 1.0, 5.0)
    assert got.dtype == torch.bfloat16 and torch.isfinite(got).all()
    expected = one_sigmoid_per_threshold(v.double(), 4, 1.0, 5.0)
    torch.testing.assert_close(got.double(), expected, rtol=2e-2, atol=1e-3)


@pytest.mark.parametrize("fast", [False, True])
def test_neuron_gradient_is_the_definition_in_both_forms(fast: bool) -> None:
    currents = torch.linspace(-2, 7, 301, dtype=torch.float64).reshape(1, -1)
    leaf = currents.clone().requires_grad_()
    MultiLevelIF(levels=4, alpha=5.0, fast=fast)(leaf).sum().backward()
    expected = one_sigmoid_per_threshold(currents, 4, 1.0, 5.0)
    torch.testing.assert_close(leaf.grad, expected)
