"""The fast paths of the spike functions agree with the surrogate's definition."""

from __future__ import annotations

import pytest
import torch

from mlsnn_edu import surrogate
from mlsnn_edu.surrogate import multilevel_spike, sigmoid_surrogate_derivative


def one_sigmoid_per_threshold(v: torch.Tensor, levels: int, theta: float, alpha: float):
    """sum_k (alpha/theta) s_k (1 - s_k), s_k = sigmoid(alpha (v/theta - k)): the definition."""
    s = [torch.sigmoid(alpha * (v / theta - k)) for k in range(1, levels + 1)]
    return sum(x * (1 - x) for x in s) * (alpha / theta)


@pytest.mark.parametrize(
    ("levels", "theta", "alpha"), [(1, 1.0, 5.0), (4, 1.0, 5.0), (8, 0.7, 10.0), (3, 1.0, 60.0)]
)
def test_one_exponential_form_equals_the_definition(levels, theta, alpha) -> None:
    # (3, 1.0, 60.0) takes the one-sigmoid-at-a-time branch (alpha (N - 1) / 2 > 40).
    v = torch.linspace(-40, 40, 8001, dtype=torch.float64)
    expected = one_sigmoid_per_threshold(v, levels, theta, alpha)
    torch.testing.assert_close(sigmoid_surrogate_derivative(v, levels, theta, alpha), expected)


def test_float32_stays_accurate_and_finite_far_from_the_thresholds() -> None:
    v = torch.linspace(-1000, 1000, 20001)
    got = sigmoid_surrogate_derivative(v, 8, 1.0, 5.0)
    expected = one_sigmoid_per_threshold(v.double(), 8, 1.0, 5.0)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got.double(), expected, rtol=1e-3, atol=1e-6)


def test_low_precision_input_gives_low_precision_gradient() -> None:
    v = torch.linspace(-2, 6, 101).to(torch.bfloat16)
    got = sigmoid_surrogate_derivative(v, 4, 1.0, 5.0)
    assert got.dtype == torch.bfloat16 and torch.isfinite(got).all()
    expected = one_sigmoid_per_threshold(v.double(), 4, 1.0, 5.0)
    torch.testing.assert_close(got.double(), expected, rtol=2e-2, atol=1e-3)


def test_kernel_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="mode"):
        surrogate.set_kernels("fast")
    assert surrogate.kernels() in surrogate.KERNELS


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sigmoid", "ste"])
def test_compiled_kernels_match_eager(name: str) -> None:
    v = (torch.randn(4, 8, 6, 6, generator=torch.Generator().manual_seed(0)) * 3).to(
        memory_format=torch.channels_last
    )
    upstream = torch.randn_like(v)
    results = {}
    try:
        for mode in ("eager", "compiled"):
            surrogate.set_kernels(mode)
            leaf = v.clone().requires_grad_()
            z = multilevel_spike(leaf, levels=4, surrogate=name, ste_mask=True)
            (grad,) = torch.autograd.grad(z, leaf, upstream)
            results[mode] = (z, grad)
    finally:
        surrogate.set_kernels("auto")
    assert torch.equal(results["eager"][0], results["compiled"][0])
    torch.testing.assert_close(results["eager"][1], results["compiled"][1])
    assert results["compiled"][0].is_contiguous(memory_format=torch.channels_last)
