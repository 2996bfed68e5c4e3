r"""Spike functions: the multi-level staircase and the gradients we pretend it has.

Forward, every spike function here is the staircase of a multi-level
integrate-and-fire neuron with N levels and threshold :math:`\theta`:

.. math::

    z = \operatorname{clamp}\left(\left\lfloor v / \theta \right\rfloor,\ 0,\ N\right)

Its true derivative is zero almost everywhere, so training replaces it in the
backward pass by one of two estimators:

* **sigmoid surrogate** (slope :math:`\alpha`, 5 by default): the derivative of a
  smooth staircase made of N sigmoids, one per threshold,

  .. math::

      \frac{\partial z}{\partial v} \approx \frac{d}{dv}\sum_{k=1}^{N}
      \sigma\!\left(\alpha\left(\frac{v}{\theta} - k\right)\right)
      = \sum_{k=1}^{N} \frac{\alpha}{\theta}\,\sigma_k\,(1 - \sigma_k),
      \qquad \sigma_k = \sigma\!\left(\alpha\left(\frac{v}{\theta} - k\right)\right).

  Far from every threshold each :math:`\sigma_k` is 0 or 1, so
  :math:`\sigma_k(1-\sigma_k)` and the gradient vanish.
* **straight-through estimator (STE)**: :math:`\partial z / \partial v \approx 1`,
  the gradient passes unchanged. With ``ste_mask=True`` it is set to 0 where the
  staircase is flat for good, outside :math:`0 \le v \le N\theta`.

This file holds the definitions. The networks of :mod:`mlsnn_edu.models` use
:mod:`mlsnn_edu.fast_surrogate`, the same sigmoid surrogate computed with one
exponential instead of N, which a test holds equal to the definition.
"""

from __future__ import annotations

import torch

from mlsnn_edu.checks import check_alpha, check_choice, check_levels, check_theta

SURROGATES = ("sigmoid", "ste")


def staircase(v: torch.Tensor, levels: int, theta: float = 1.0) -> torch.Tensor:
    r"""The forward staircase :math:`z = \mathrm{clamp}(\lfloor v/\theta \rfloor, 0, N)`."""
    return torch.clamp(torch.floor(v / theta), 0, levels)


def sigmoid_surrogate_derivative(
    v: torch.Tensor, levels: int, theta: float = 1.0, alpha: float = 5.0
) -> torch.Tensor:
    r"""The surrogate :math:`\sum_{k=1}^{N} (\alpha/\theta)\,\sigma_k(1-\sigma_k)` at ``v``."""
    derivative = torch.zeros_like(v)
    for k in range(1, levels + 1):
        s = torch.sigmoid(alpha * (v / theta - k))
        derivative = derivative + s * (1 - s)
    return derivative * (alpha / theta)


class SigmoidSpike(torch.autograd.Function):
    """Staircase forward; backward multiplies the gradient by the sigmoid surrogate."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, levels: int, theta: float, alpha: float) -> torch.Tensor:
        ctx.save_for_backward(v)
        ctx.levels, ctx.theta, ctx.alpha = levels, theta, alpha
        return staircase(v, levels, theta)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        (v,) = ctx.saved_tensors
        surrogate = sigmoid_surrogate_derivative(v, ctx.levels, ctx.theta, ctx.alpha)
        return grad_output * surrogate, None, None, None


class StraightThroughSpike(torch.autograd.Function):
    """Staircase forward; backward passes the gradient (masked to ``0 <= v <= N theta`` if asked)."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, levels: int, theta: float, mask: bool) -> torch.Tensor:
        ctx.mask, ctx.upper = mask, levels * theta
        if mask:
            ctx.save_for_backward(v)
        return staircase(v, levels, theta)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        if not ctx.mask:
            return grad_output, None, None, None
        (v,) = ctx.saved_tensors
        inside = (v >= 0) & (v <= ctx.upper)
        return torch.where(inside, grad_output, 0.0), None, None, None


def multilevel_spike(
    v: torch.Tensor,
    *,
    levels: int,
    theta: float = 1.0,
    surrogate: str = "sigmoid",
    alpha: float = 5.0,
    ste_mask: bool = False,
) -> torch.Tensor:
    """Fire ``z in {0, ..., N}`` from membrane potential ``v`` with a trainable gradient.

    Args:
        v: membrane potential after integrating the input, any shape.
        levels: N, the largest spike value (N = 1 is the binary neuron).
        theta: firing threshold, > 0.
        surrogate: ``"sigmoid"`` (slope ``alpha``) or ``"ste"`` (straight-through).
        alpha: slope of the sigmoid surrogate; ignored by the STE.
        ste_mask: with the STE, zero the gradient outside ``0 <= v <= N*theta``.
    """
    levels = check_levels(levels)
    theta = check_theta(theta)
    check_choice(surrogate, SURROGATES, "surrogate")
    if surrogate == "sigmoid":
        return SigmoidSpike.apply(v, levels, theta, check_alpha(alpha))
    return StraightThroughSpike.apply(v, levels, theta, bool(ste_mask))
