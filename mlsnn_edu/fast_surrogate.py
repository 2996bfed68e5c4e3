r"""The sigmoid surrogate with one exponential per element instead of N.

:func:`mlsnn_edu.surrogate.sigmoid_surrogate_derivative` evaluates N sigmoids,
one per threshold. A spiking network runs the surrogate on every activation at
every backward pass, so the networks of :mod:`mlsnn_edu.models` use this
rewriting of the same sum. With :math:`u = v/\theta`, :math:`w_k = \alpha(u - k)`
and :math:`m = (N+1)/2` (the middle threshold, which keeps the exponential small),

.. math::

    \sigma(w_k)\,(1 - \sigma(w_k)) = \frac{1}{\left(e^{w_k/2} + e^{-w_k/2}\right)^2}
    = \frac{c_k^2}{\left(c_k^2\, r + 1/r\right)^2},
    \qquad r = e^{\alpha(u - m)/2},\quad c_k = e^{\alpha(m - k)/2},

so :math:`r` is the only exponential of :math:`v`; the :math:`c_k` are constants.
When :math:`\alpha(N-1)/2` is too large for float32 (the constants would
overflow), the definition is used instead. ``tests/test_surrogate.py`` holds
both equal; ``benchmarks/neuron_op.py`` measures the gain.

On a CPU the spike functions below hand both passes to the compiled kernel of
:mod:`mlsnn_edu.spike_kernel` (one pass over memory each way) when it serves the
tensors, and compute the same function in eager PyTorch otherwise.
"""

from __future__ import annotations

import math

import torch

from mlsnn_edu import spike_kernel
from mlsnn_edu.surrogate import SigmoidSpike, StraightThroughSpike, sigmoid_surrogate_derivative

#: Beyond this spread of exponents the constants c_k^2 would overflow float32.
MAX_EXPONENT_SPREAD = 40.0


def one_exponential_derivative(
    v: torch.Tensor, levels: int, theta: float = 1.0, alpha: float = 5.0
) -> torch.Tensor:
    r""":math:`\sum_{k=1}^{N} (\alpha/\theta)\,\sigma_k(1-\sigma_k)` with one exponential."""
    if alpha * (levels - 1) / 2 > MAX_EXPONENT_SPREAD:
        return sigmoid_surrogate_derivative(v, levels, theta, alpha)
    low_precision = v.dtype in (torch.float16, torch.bfloat16)
    x = v.float() if low_precision else v
    middle = (levels + 1) / 2
    # Each line makes at most one new tensor and updates it in place: on a CPU a fresh
    # tensor costs about as much as the arithmetic. exp2 is several times faster than
    # exp in PyTorch on CPUs, so r = e^z is computed as 2^(z log2 e).
    slope = alpha / 2 * math.log2(math.e)
    r = torch.mul(x, slope / theta).sub_(slope * middle).exp2_()
    inverse_r = torch.reciprocal(r)
    total = torch.zeros_like(x)
    denominator = torch.empty_like(x)
    for k in range(1, levels + 1):
        c_squared = math.exp(alpha * (middle - k))
        torch.add(inverse_r, r, alpha=c_squared, out=denominator)  # c_k^2 r + 1/r
        total.add_(denominator.pow_(-2), alpha=c_squared * alpha / theta)
    return total.to(v.dtype) if low_precision else total


class FastSigmoidSpike(SigmoidSpike):
    """:class:`~mlsnn_edu.surrogate.SigmoidSpike` with :func:`one_exponential_derivative`,
    compiled where :func:`mlsnn_edu.spike_kernel.serves` the tensors."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, levels: int, theta: float, alpha: float) -> torch.Tensor:
        ctx.compiled = spike_kernel.serves(v)  # the backward pass takes the same path
        if not ctx.compiled:
            return SigmoidSpike.forward(ctx, v, levels, theta, alpha)
        ctx.save_for_backward(v)
        ctx.levels, ctx.theta, ctx.alpha = levels, theta, alpha
        return spike_kernel.staircase(v, levels, theta)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        if torch.is_grad_enabled():  # backward(create_graph=True)
            raise RuntimeError(
                "the spike function's surrogate gradient cannot itself be differentiated "
                "(backward with create_graph=True); the method defines no second derivative"
            )
        (v,) = ctx.saved_tensors
        levels, theta, alpha = ctx.levels, ctx.theta, ctx.alpha
        if ctx.compiled and alpha * (levels - 1) / 2 <= MAX_EXPONENT_SPREAD:
            grad_output = grad_output.contiguous()
            if grad_output.dtype == torch.float32:
                grad = spike_kernel.surrogate_backward(v, grad_output, levels, theta, alpha)
                return grad, None, None, None
        surrogate = one_exponential_derivative(v, levels, theta, alpha)
        return surrogate.mul_(grad_output), None, None, None


class FastStraightThroughSpike(StraightThroughSpike):
    """:class:`~mlsnn_edu.surrogate.StraightThroughSpike` with the compiled staircase."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, levels: int, theta: float, mask: bool) -> torch.Tensor:
        if not spike_kernel.serves(v):
            return StraightThroughSpike.forward(ctx, v, levels, theta, mask)
        ctx.mask, ctx.upper = mask, levels * theta
        if mask:
            ctx.save_for_backward(v)
        return spike_kernel.staircase(v, levels, theta)
