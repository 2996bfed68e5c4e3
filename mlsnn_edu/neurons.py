r"""Integrate-and-fire neurons: binary (N = 1) and multi-level (N levels per timestep).

One timestep of a multi-level IF neuron with threshold :math:`\theta` and soft
reset, in closed form (what the library computes):

.. math::

    v &\leftarrow v + I(t) \\
    z(t) &= \operatorname{clamp}\left(\lfloor v / \theta \rfloor,\ 0,\ N\right) \\
    v &\leftarrow v - \theta\, z(t)

The same timestep read literally is N micro-steps: integrate once, then up to N
times "if :math:`v \ge \theta`: fire, subtract :math:`\theta`".
:func:`microstep_step` is that loop; it exists as the reference the closed form
is tested against, never to be used in a network. With N = 1 both are the
binary IF neuron. Over T timesteps the spike total takes N*T + 1 values.

Two rules hold for every function here:

* **dtype**: spikes and potentials have the floating dtype of the input current;
  an integer current is first converted to ``torch.get_default_dtype()``.
* **NaN**: :func:`multilevel_step` and :func:`microstep_step` refuse a NaN
  current with a ``ValueError``. :class:`MultiLevelIF`, which runs inside
  networks, passes NaN through as NaN spikes instead: checking would cost a
  device synchronisation per layer, and the trainer already stops on a
  non-finite loss or weight.
"""

from __future__ import annotations

import torch
from torch import nn

from mlsnn_edu.checks import check_alpha, check_choice, check_levels, check_theta
from mlsnn_edu.fast_surrogate import FastSigmoidSpike, FastStraightThroughSpike
from mlsnn_edu.surrogate import SURROGATES, SigmoidSpike, StraightThroughSpike, staircase


def multilevel_step(
    v: torch.Tensor, current: torch.Tensor, *, levels: int, theta: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""One timestep in closed form: returns ``(z, v_next)``.

    :math:`v' = v + I`, :math:`z = \mathrm{clamp}(\lfloor v'/\theta\rfloor, 0, N)`,
    :math:`v_{next} = v' - \theta z`. Pure forward: no surrogate gradient.
    """
    levels = check_levels(levels)
    theta = check_theta(theta)
    v, current = _checked_step_inputs(v, current)
    v = v + current
    z = staircase(v, levels, theta)
    return z, v - theta * z


def microstep_step(
    v: torch.Tensor, current: torch.Tensor, *, levels: int, theta: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """One timestep as N literal micro-steps (the reference for :func:`multilevel_step`).

    Integrate the current once, then N times: fire where ``v >= theta`` and
    subtract ``theta`` there.
    """
    levels = check_levels(levels)
    theta = check_theta(theta)
    v, current = _checked_step_inputs(v, current)
    v = v + current
    z = torch.zeros_like(v)
    for _ in range(levels):
        fired = (v >= theta).to(v.dtype)
        z = z + fired
        v = v - theta * fired
    return z, v


def run_neuron(
    currents: torch.Tensor, *, levels: int, theta: float = 1.0, step=multilevel_step
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a neuron over ``currents`` of shape ``[T, ...]`` from ``v = 0``.

    Returns the spikes ``[T, ...]`` and the membrane potential after each
    timestep ``[T, ...]``. ``step`` is :func:`multilevel_step` or
    :func:`microstep_step`.
    """
    _check_sequence(currents)
    v = torch.zeros_like(currents[0])
    spikes, potentials = [], []
    for current in currents:
        z, v = step(v, current, levels=levels, theta=theta)
        spikes.append(z)
        potentials.append(v)
    return torch.stack(spikes), torch.stack(potentials)


def as_floating(x: torch.Tensor) -> torch.Tensor:
    """``x`` itself if it is floating point, else converted to the default float dtype."""
    return x if x.is_floating_point() else x.to(torch.get_default_dtype())


def _checked_step_inputs(
    v: torch.Tensor, current: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    if v.shape != current.shape:
        raise ValueError(
            f"v (membrane potential) and current must have the same shape, "
            f"got {tuple(v.shape)} and {tuple(current.shape)}"
        )
    current = as_floating(current)
    if torch.isnan(current).any():
        raise ValueError("current holds NaN values: a neuron cannot integrate them")
    return v.to(current.dtype), current


def _check_sequence(x: torch.Tensor) -> None:
    if x.dim() < 2:
        raise ValueError(
            f"input must have shape [T, B, ...] (at least 2 dimensions), got shape {tuple(x.shape)}"
        )
    if x.shape[0] < 1:
        raise ValueError(
            f"timesteps (T, the first dimension of the input) must be >= 1, got {x.shape[0]}"
        )


class MultiLevelIF(nn.Module):
    r"""Multi-level integrate-and-fire neuron layer with soft reset.

    Input currents ``[T, B, ...]`` give spikes ``[T, B, ...]`` with values in
    ``{0, ..., levels}``. The membrane potential starts at 0 on every call and is
    carried across the T timesteps:

    .. math::

        v \leftarrow v + I(t),\quad z(t) = \mathrm{clamp}(\lfloor v/\theta\rfloor, 0, N),
        \quad v \leftarrow v - \theta z(t).

    Args:
        levels: N, spikes per timestep (1 = binary IF neuron).
        theta: firing threshold.
        surrogate: backward estimator, ``"sigmoid"`` (slope ``alpha``) or ``"ste"``.
        alpha: slope of the sigmoid surrogate.
        ste_mask: with ``"ste"``, zero the gradient outside ``0 <= v <= N*theta``.
        fast: compute the sigmoid surrogate with one exponential instead of N
            (:mod:`mlsnn_edu.fast_surrogate`), and both passes in the compiled kernel
            of :mod:`mlsnn_edu.spike_kernel` on a CPU: the same function, what networks use.
    """

    def __init__(
        self,
        levels: int = 4,
        theta: float = 1.0,
        surrogate: str = "sigmoid",
        alpha: float = 5.0,
        ste_mask: bool = False,
        fast: bool = False,
    ) -> None:
        super().__init__()
        self.levels = check_levels(levels)
        self.theta = check_theta(theta)
        self.surrogate = check_choice(surrogate, SURROGATES, "surrogate")
        self.alpha = check_alpha(alpha)
        for name, flag in (("ste_mask", ste_mask), ("fast", fast)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be True or False, got {flag!r}")
        self.ste_mask, self.fast = ste_mask, fast

    def _fire(self, v: torch.Tensor) -> torch.Tensor:
        if self.surrogate == "ste":
            ste = FastStraightThroughSpike if self.fast else StraightThroughSpike
            return ste.apply(v, self.levels, self.theta, self.ste_mask)
        spike = FastSigmoidSpike if self.fast else SigmoidSpike
        return spike.apply(v, self.levels, self.theta, self.alpha)

    def forward(self, currents: torch.Tensor) -> torch.Tensor:
        _check_sequence(currents)
        currents = as_floating(currents)
        if currents.shape[0] == 1:
            # One timestep: v starts at 0, so v = I and there is no state to carry.
            # Firing on [1, B, ...] directly avoids a slice and a copy in backward.
            return self._fire(currents)
        v = torch.zeros_like(currents[0])
        spikes = []
        for current in currents:
            v = v + current
            z = self._fire(v)
            v = v - self.theta * z
            spikes.append(z)
        return torch.stack(spikes)

    def extra_repr(self) -> str:
        extra = (
            f", alpha={self.alpha}"
            if self.surrogate == "sigmoid"
            else f", ste_mask={self.ste_mask}"
        )
        return f"levels={self.levels}, theta={self.theta}, surrogate={self.surrogate!r}{extra}"
