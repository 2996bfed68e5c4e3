r"""Spike functions: the multi-level staircase and the gradients we pretend it has.

Forward, every spike function here is the same staircase of a multi-level
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

  Far from every threshold it is almost 0: the gradient vanishes.
* **straight-through estimator (STE)**: :math:`\partial z / \partial v \approx 1`,
  the gradient passes unchanged. With ``ste_mask=True`` it is set to 0 where the
  staircase is flat for good, outside :math:`0 \le v \le N\theta`.

Each estimator is one ``torch.autograd.Function`` that saves only the membrane
potential for the backward pass.

Speed. A spiking layer runs these functions on every activation of the
network, forward and backward, so they are written to cost about what a ReLU
costs: the surrogate needs one exponential per element whatever N is (see
:func:`sigmoid_surrogate_derivative`), and the element-wise work can run as
one fused kernel built by ``torch.compile`` (:func:`set_kernels`). Compiled
kernels are opt-in: measured, they halved the training speed on an H200 and
gained about 5 % on a CPU after several seconds of building per process.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable

import torch

from mlsnn_edu._checks import check_alpha, check_choice, check_levels, check_theta

SURROGATES = ("sigmoid", "ste")
KERNELS = ("auto", "eager", "compiled")
KERNELS_VARIABLE = "MLSNN_EDU_KERNELS"

# Beyond this the one-exponential form of the surrogate could overflow float32.
_MAX_EXPONENT_SPREAD = 40.0


def staircase(v: torch.Tensor, levels: int, theta: float = 1.0) -> torch.Tensor:
    r"""The forward staircase :math:`z = \mathrm{clamp}(\lfloor v/\theta \rfloor, 0, N)`."""
    floor = torch.floor(v) if theta == 1.0 else torch.div(v, theta).floor_()  # skip a pass for 1
    return floor.clamp_(0, levels)


def sigmoid_surrogate_derivative(
    v: torch.Tensor, levels: int, theta: float = 1.0, alpha: float = 5.0
) -> torch.Tensor:
    r"""The surrogate :math:`\sum_{k=1}^{N} (\alpha/\theta)\,\sigma_k(1-\sigma_k)` at ``v``.

    Computed with one exponential per element instead of N. With
    :math:`w_k = \alpha(v/\theta - k)`, each term is

    .. math::

        \sigma(w_k)\,(1 - \sigma(w_k)) = \frac{1}{\left(e^{w_k/2} + e^{-w_k/2}\right)^2}
        = \frac{c_k^2}{\left(c_k^2\, r + 1/r\right)^2},

    where :math:`r = e^{\alpha(v/\theta - m)/2}` is the only exponential of
    ``v`` (:math:`m = (N+1)/2`, the middle threshold, keeps it small) and
    :math:`c_k = e^{\alpha(m - k)/2}` is a constant. Far from every threshold
    :math:`r` or :math:`1/r` becomes huge and the terms go to 0, as they should.
    When :math:`\alpha (N - 1)/2` is too large for that to be safe in float32,
    the terms are summed one sigmoid at a time instead.
    """
    if alpha * (levels - 1) / 2 > _MAX_EXPONENT_SPREAD:
        return _derivative_one_sigmoid_at_a_time(v, levels, theta, alpha)
    low_precision = v.dtype in (torch.float16, torch.bfloat16)
    x = v.float() if low_precision else v
    middle = (levels + 1) / 2
    # Each line below makes at most one new tensor and updates it in place: on a CPU a
    # fresh tensor costs about as much as the arithmetic, so the temporaries are few.
    # r = e^z computed as 2^(z log2 e): PyTorch's exp2 is several times faster than its exp on CPUs.
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


def _derivative_one_sigmoid_at_a_time(
    v: torch.Tensor, levels: int, theta: float, alpha: float
) -> torch.Tensor:
    """The surrogate read literally: one sigmoid per threshold (N exponentials)."""
    x = v / theta
    derivative = torch.zeros_like(v)
    for k in range(1, levels + 1):
        s = torch.sigmoid(alpha * (x - k))
        derivative += s * (1 - s)
    return derivative * (alpha / theta)


def _sigmoid_spike_grad(
    grad_output: torch.Tensor, v: torch.Tensor, levels: int, theta: float, alpha: float
) -> torch.Tensor:
    return sigmoid_surrogate_derivative(v, levels, theta, alpha).mul_(grad_output)


def _masked_grad(grad_output: torch.Tensor, v: torch.Tensor, upper: float) -> torch.Tensor:
    return torch.where((v >= 0) & (v <= upper), grad_output, 0.0)


# --- choosing between eager and compiled kernels ---------------------------------------

_kernels = check_choice(os.environ.get(KERNELS_VARIABLE, "auto"), KERNELS, KERNELS_VARIABLE)
_compiled: dict[Callable, Callable] = {}


def set_kernels(mode: str) -> None:
    """Choose how the spike functions run: ``"auto"``, ``"eager"`` or ``"compiled"``.

    * ``"eager"``: plain PyTorch operations, a few passes over memory each.
    * ``"compiled"``: each forward and backward is one kernel built by
      ``torch.compile`` (a few seconds the first time in a process; needs a C++
      compiler on a CPU, Triton on a GPU). If building fails, a warning is
      given once and the eager operations are used from then on.
    * ``"auto"`` (the default): eager on every device. Measured on an H200
      (``benchmarks/gpu_epoch.py``, bf16, width 64, batch 256): Sparse-ResNet18
      trained at 13,600 images/s with eager spike functions and 6,500 with
      compiled ones; on a 2-core CPU compiled kernels gain about 5 % at width
      64 and lose at width 8, after 7-15 s of building per process.

    The environment variable ``MLSNN_EDU_KERNELS`` sets the starting value.
    """
    global _kernels
    _kernels = check_choice(mode, KERNELS, "mode")


def kernels() -> str:
    """The current kernel mode (see :func:`set_kernels`)."""
    return _kernels


def _run(function: Callable, *args):
    """Call ``function`` eagerly or as its compiled kernel, as the mode and device say."""
    mode = _kernels
    if mode == "auto":
        mode = "eager"
    if mode == "eager" or torch.compiler.is_compiling():  # inside torch.compile: let it fuse us
        return function(*args)
    try:
        if function not in _compiled:
            _compiled[function] = torch.compile(function, dynamic=True)
        return _compiled[function](*args)
    except Exception as error:  # no compiler, unsupported platform, ...: stay correct
        warnings.warn(
            f"mlsnn_edu: compiled spike kernels are unavailable ({type(error).__name__}: "
            f"{str(error)[:200]}); using eager PyTorch operations",
            RuntimeWarning,
            stacklevel=2,
        )
        set_kernels("eager")
        return function(*args)


# --- the autograd functions ---------------------------------------------------------------


class SigmoidSpike(torch.autograd.Function):
    """Staircase forward, sigmoid-surrogate backward."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, levels: int, theta: float, alpha: float) -> torch.Tensor:
        ctx.save_for_backward(v)
        ctx.levels, ctx.theta, ctx.alpha = levels, theta, alpha
        return _run(staircase, v, levels, theta)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        (v,) = ctx.saved_tensors
        grad = _run(_sigmoid_spike_grad, grad_output, v, ctx.levels, ctx.theta, ctx.alpha)
        return grad, None, None, None


class StraightThroughSpike(torch.autograd.Function):
    """Staircase forward, identity backward (optionally masked to ``0 <= v <= N*theta``)."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, levels: int, theta: float, mask: bool) -> torch.Tensor:
        ctx.mask = mask
        ctx.upper = levels * theta
        if mask:
            ctx.save_for_backward(v)
        return _run(staircase, v, levels, theta)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        if not ctx.mask:
            return grad_output, None, None, None
        (v,) = ctx.saved_tensors
        return _run(_masked_grad, grad_output, v, ctx.upper), None, None, None


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
    check_levels(levels)
    theta = check_theta(theta)
    check_choice(surrogate, SURROGATES, "surrogate")
    if surrogate == "sigmoid":
        return SigmoidSpike.apply(v, levels, theta, check_alpha(alpha))
    return StraightThroughSpike.apply(v, levels, theta, bool(ste_mask))
