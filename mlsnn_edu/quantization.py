r"""What a (T, N) neuron can represent: its levels and its quantization error.

Under **direct encoding** the same current :math:`x` enters the neuron at each
of the T timesteps. A multi-level IF neuron (N levels, threshold
:math:`\theta`, soft reset) then emits a spike total

.. math::

    S(x) = \operatorname{clamp}\left(\left\lfloor \frac{T x}{\theta} \right\rfloor,\ 0,\ N T\right)

(the carried residual makes the floors telescope; the clamp is the N-per-step
limit summed over T), and the value the network reads downstream is the
rate-coded output

.. math::

    q(x) = \frac{\theta}{T}\, S(x),

a staircase with step :math:`\theta/T` on :math:`[0, N\theta]` and N*T + 1
levels. T buys resolution (a finer step), N buys range (more steps per
timestep): [T=4, N=1] and [T=1, N=4] both have 5 levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mlsnn_edu.checks import check_levels, check_theta, check_timesteps
from mlsnn_edu.neurons import as_floating


def _as_values(x: object) -> torch.Tensor:
    """``x`` as a floating-point tensor: a tensor, a number, or a list or NumPy array of them."""
    try:
        values = torch.as_tensor(x)  # a float64 array stays float64, as a float64 tensor does
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(
            f"x must be a tensor, a number, or a list or NumPy array of numbers, "
            f"got {type(x).__name__} {x!r:.40}"
        ) from None
    if values.is_complex():
        raise TypeError("x must be real numbers, got complex values")
    values = as_floating(values)
    if torch.isnan(values).any():
        raise ValueError("x holds NaN values: a neuron cannot integrate them")
    return values


def num_levels(timesteps: int, levels: int) -> int:
    """Distinct spike totals of a (T, N) neuron over T timesteps: N*T + 1."""
    return check_levels(levels) * check_timesteps(timesteps) + 1


def spike_total(
    x: torch.Tensor, *, timesteps: int, levels: int, theta: float = 1.0
) -> torch.Tensor:
    r"""Spike total :math:`S(x)=\mathrm{clamp}(\lfloor Tx/\theta\rfloor, 0, NT)` for constant current ``x``."""
    check_timesteps(timesteps)
    check_levels(levels)
    theta = check_theta(theta)
    return torch.clamp(torch.floor(timesteps * _as_values(x) / theta), 0, levels * timesteps)


def quantize(x: torch.Tensor, *, timesteps: int, levels: int, theta: float = 1.0) -> torch.Tensor:
    r"""The quantizer a (T, N) neuron realises under direct encoding: :math:`q(x) = \theta S(x)/T`."""
    total = spike_total(x, timesteps=timesteps, levels=levels, theta=theta)
    return total * (theta / timesteps)


@dataclass(frozen=True)
class QuantizationError:
    """Error of :func:`quantize` against the identity on a sample of inputs."""

    levels: int
    mse: float
    max_abs: float


def quantization_error(
    x: torch.Tensor, *, timesteps: int, levels: int, theta: float = 1.0
) -> QuantizationError:
    r"""Mean squared and largest absolute error :math:`|q(x) - x|` over the sample ``x``.

    ``x`` is a sample of the inputs the neuron sees (draw it from the input
    distribution you care about); inputs outside :math:`[0, N\theta]` are
    clipped by the neuron and their clipping error counts too.
    """
    x = _as_values(x)
    if x.numel() == 0:
        raise ValueError("x must hold at least one input value, got an empty tensor")
    error = quantize(x, timesteps=timesteps, levels=levels, theta=theta) - x
    return QuantizationError(
        levels=num_levels(timesteps, levels),
        mse=float(error.pow(2).mean()),
        max_abs=float(error.abs().max()),
    )
