"""Chapter 4 checkers: the solutions pass, wrong answers fail with a hint."""

from __future__ import annotations

import pytest
import torch

from mlsnn_edu.classroom import (
    check_active_barrier_factor,
    check_straight_through,
    check_surrogate_passes,
)
from mlsnn_edu.classroom.ch04 import active_barrier_factor
from mlsnn_edu.surrogate import sigmoid_surrogate_derivative


def test_surrogate_passes():
    values = torch.arange(0, 9, dtype=torch.float32)
    factors = sigmoid_surrogate_derivative(values, 4, 1.0, 5.0)
    solution = {int(s) for s, g in zip(values, factors) if g >= 0.5}
    assert check_surrogate_passes(solution)
    with_zero = check_surrogate_passes(solution | {0})
    assert not with_zero and "s = 0" in with_zero.message
    beyond = check_surrogate_passes(solution | {5, 6})
    assert not beyond and "above N" in beyond.message
    assert not check_surrogate_passes("1, 2")


class Solution(torch.autograd.Function):
    @staticmethod
    def forward(ctx, v, levels, theta):
        return torch.clamp(torch.floor(v / theta), 0, levels)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None, None


class TrueDerivative(Solution):
    @staticmethod
    def backward(ctx, grad_output):
        return torch.zeros_like(grad_output), None, None


class OneGradientOnly(Solution):
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def test_straight_through():
    assert check_straight_through(Solution)
    zero = check_straight_through(TrueDerivative)
    assert not zero and "true derivative" in zero.message
    crashed = check_straight_through(OneGradientOnly)
    assert not crashed and "one value per forward input" in crashed.message


def test_straight_through_rejects_a_surrogate():
    class SurrogateBackward(Solution):
        @staticmethod
        def forward(ctx, v, levels, theta):
            ctx.save_for_backward(v)
            ctx.levels, ctx.theta = levels, theta
            return Solution.forward(ctx, v, levels, theta)

        @staticmethod
        def backward(ctx, grad_output):
            (v,) = ctx.saved_tensors
            derivative = sigmoid_surrogate_derivative(v, ctx.levels, ctx.theta, 5.0)
            return grad_output * derivative, None, None

    result = check_straight_through(SurrogateBackward)
    assert not result and "unchanged" in result.message


def active_barrier_factor_by_hand() -> float:
    """Exercise 4.3's answer from a forward pre-hook on the barrier and autograd of the
    smooth staircase sum_k sigmoid(alpha (v - k)), independent of the library's surrogate."""
    from mlsnn_edu.data.digits import digits_datasets
    from mlsnn_edu.models import build_model
    from mlsnn_edu.models.layers import ResidualSum
    from mlsnn_edu.settings import seed_everything

    seed_everything(4)
    model = build_model(
        "sparse_resnet18",
        width=8,
        levels=4,
        timesteps=1,
        num_classes=10,
        barrier_surrogate="sigmoid",
    ).train()
    test = digits_datasets()[1]
    x = torch.stack([test[i][0] for i in range(64)])
    barrier = [m for m in model.modules() if isinstance(m, ResidualSum)][1].after
    captured = []
    handle = barrier.register_forward_pre_hook(lambda module, inputs: captured.append(inputs[0]))
    with torch.no_grad():
        model(x)
    handle.remove()
    sums = captured[0]
    v = sums[sums != 0].double().requires_grad_()
    smooth = sum(torch.sigmoid(5.0 * (v - k)) for k in range(1, 5))
    (slope,) = torch.autograd.grad(smooth.sum(), v)
    return float(slope.mean())


def test_active_barrier_factor():
    expected = active_barrier_factor()
    assert expected == pytest.approx(active_barrier_factor_by_hand(), rel=1e-4)
    assert expected > 1.0  # on-threshold sums dominate among the non-zero ones
    assert check_active_barrier_factor(expected)
    with_zeros = check_active_barrier_factor(0.3 * expected)
    assert not with_zeros and "zero sums" in with_zeros.message
    assert not check_active_barrier_factor(1.2 * expected)
