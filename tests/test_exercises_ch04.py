"""Chapter 4 checkers: the solutions pass, wrong answers fail with a hint."""

from __future__ import annotations

import pytest
import torch

from mlsnn_edu.classroom import (
    check_active_barrier_factor,
    check_masked_straight_through,
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
    """Exercise 4.2 answered: written out here, not taken from the library."""

    @staticmethod
    def forward(ctx, v, levels, theta):
        ctx.save_for_backward(v)
        ctx.upper = levels * theta
        return torch.clamp(torch.floor(v / theta), 0, levels)

    @staticmethod
    def backward(ctx, grad_output):
        (v,) = ctx.saved_tensors
        inside = (v >= 0) & (v <= ctx.upper)
        return grad_output * inside, None, None


class PlainStraightThrough(Solution):
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


class OpenInterval(Solution):
    @staticmethod
    def backward(ctx, grad_output):
        (v,) = ctx.saved_tensors
        return grad_output * ((v > 0) & (v < ctx.upper)), None, None


def test_masked_straight_through():
    assert check_masked_straight_through(Solution)
    plain = check_masked_straight_through(PlainStraightThrough)
    assert not plain and "plain STE" in plain.message
    zero = check_masked_straight_through(TrueDerivative)
    assert not zero and "true derivative" in zero.message
    crashed = check_masked_straight_through(OneGradientOnly)
    assert not crashed and "one value per forward input" in crashed.message


def test_the_edges_of_the_mask_are_checked():
    """v = 0 and v = N theta pass the gradient (0 <= v <= N theta): an open interval fails."""
    v = torch.tensor([0.0, 2.0, 4.0], requires_grad=True)
    (gradient,) = torch.autograd.grad(Solution.apply(v, 4, 1.0), v, torch.ones(3))
    assert gradient.tolist() == [1.0, 1.0, 1.0]
    result = check_masked_straight_through(OpenInterval)
    assert not result and "edges" in result.message


def barrier_factor_by_hand(barrier: int = 1, *, train: bool = True, zeros: bool = False) -> float:
    """Exercise 4.3's computation from a forward pre-hook on a barrier and autograd of the
    smooth staircase sum_k sigmoid(alpha (v - k)), independent of the library's surrogate.

    ``barrier`` picks which sum is read (1 is sum1), ``train`` the mode and ``zeros``
    whether the zero sums are averaged too: the wrong readings the checker must reject.
    """
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
    ).train(train)
    test = digits_datasets()[1]
    x = torch.stack([test[i][0] for i in range(64)])
    module = [m for m in model.modules() if isinstance(m, ResidualSum)][barrier].after
    captured = []
    handle = module.register_forward_pre_hook(lambda module, inputs: captured.append(inputs[0]))
    with torch.no_grad():
        model(x)
    handle.remove()
    sums = captured[0]
    return smooth_staircase_slope(sums if zeros else sums[sums != 0])


def smooth_staircase_slope(sums: torch.Tensor) -> float:
    """Mean of d/dv sum_{k=1..4} sigmoid(5 (v - k)) over ``sums`` (N = 4, theta = 1, alpha = 5)."""
    v = sums.double().flatten().requires_grad_()
    smooth = sum(torch.sigmoid(5.0 * (v - k)) for k in range(1, 5))
    (slope,) = torch.autograd.grad(smooth.sum(), v)
    return float(slope.mean())


def test_active_barrier_factor():
    expected = active_barrier_factor()
    assert expected == pytest.approx(barrier_factor_by_hand(), rel=1e-4)
    assert expected > 1.0  # on-threshold sums dominate among the non-zero ones
    assert check_active_barrier_factor(expected)
    assert check_active_barrier_factor(round(expected, 3))  # a rounded answer still passes
    assert not check_active_barrier_factor(1.2 * expected)
    assert not check_active_barrier_factor(True)


@pytest.mark.parametrize(
    ("wrong_answer", "named_in_hint"),
    [
        (lambda: barrier_factor_by_hand(zeros=True), ("zero sums",)),
        (lambda: barrier_factor_by_hand(train=False), ("train mode",)),
        (lambda: barrier_factor_by_hand(3), ("sum1",)),  # sum3: 0.4 % from the answer
        (lambda: barrier_factor_by_hand(0), ("sum1",)),
        # the factor at s = 1 that the chapter prints, typed as printed (3 decimals): it is
        # also within 0.02 % of sum4's factor, so either hint is a right one
        (lambda: round(smooth_staircase_slope(torch.tensor([1.0])), 3), ("printed", "sum4")),
        (lambda: round(smooth_staircase_slope(torch.tensor([2.0])), 3), ("printed",)),
    ],
    ids=["zeros-included", "eval-mode", "sum3", "sum0", "printed-s1", "printed-s2"],
)
def test_active_barrier_factor_rejects_plausible_mistakes(wrong_answer, named_in_hint):
    """Every wrong reading lies within 5 % of the answer; each is rejected and named."""
    answer = wrong_answer()
    assert answer != pytest.approx(active_barrier_factor(), rel=1e-3)
    result = check_active_barrier_factor(answer)
    assert not result
    assert any(word in result.message for word in named_in_hint), result.message
