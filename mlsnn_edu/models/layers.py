r"""The building blocks every network in :mod:`mlsnn_edu.models` shares.

Time is folded into the batch. A network built for T timesteps carries every
feature map as one tensor of shape ``[T*B, C, H, W]`` (timestep-major: the first
B rows are t = 1), so each convolution and batch norm is a single call over all
timesteps. Only a neuron needs time as its own axis, because its membrane
potential is carried from one timestep to the next: :class:`SpikingNeuron`
unfolds to ``[T, B, ...]``, runs the multi-level IF neuron and folds back. Both
reshapes are views, so for T = 1 nothing is copied.

Layers that the activity monitor records carry two attributes:

* ``activity_name``: the readable name used in activity tables (``"stem"``,
  ``"layer1.0.sn1"``, ``"sum0"``, ...); ``None`` means "do not record";
* ``activity_kind``: ``"neuron"`` or ``"sum"``.

:func:`name_activity_layers` fills in the names once a network is built.

**Spike units.** Neurons emit integer counts :math:`z \in \{0, \dots, N\}`,
whatever their threshold :math:`\theta` (the threshold only sets how much
current one spike takes). A residual sum of spikes is therefore a count of
spikes, and the barrier neuron that follows it in a Sparse-ResNet clamps it to
N spikes with a threshold of one spike, :data:`SPIKE_UNIT`, not with the
:math:`\theta` of the other neurons.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mlsnn_edu.checks import check_timesteps
from mlsnn_edu.neurons import MultiLevelIF

#: What one spike adds to a residual sum: the barrier's threshold.
SPIKE_UNIT = 1.0


class SpikingNeuron(MultiLevelIF):
    r"""A multi-level IF neuron that reads and writes time-folded tensors ``[T*B, ...]``.

    Forward is :class:`~mlsnn_edu.neurons.MultiLevelIF` on the unfolded
    ``[T, B, ...]`` view: :math:`v \leftarrow v + I(t)`,
    :math:`z(t) = \mathrm{clamp}(\lfloor v/\theta \rfloor, 0, N)`,
    :math:`v \leftarrow v - \theta z(t)`.

    Args:
        timesteps: T, the number of timesteps folded into the batch dimension.
        levels, theta, surrogate, alpha, ste_mask: as in ``MultiLevelIF``; the
            sigmoid surrogate is computed in its fast form (``fast=True``).
    """

    activity_kind = "neuron"

    def __init__(
        self,
        timesteps: int,
        levels: int = 4,
        theta: float = 1.0,
        surrogate: str = "sigmoid",
        alpha: float = 5.0,
        ste_mask: bool = False,
    ) -> None:
        super().__init__(
            levels=levels,
            theta=theta,
            surrogate=surrogate,
            alpha=alpha,
            ste_mask=ste_mask,
            fast=True,
        )
        self.timesteps = check_timesteps(timesteps)
        self.activity_name: str | None = None

    def forward(self, currents: torch.Tensor) -> torch.Tensor:
        if currents.shape[0] % self.timesteps:
            raise ValueError(
                f"the first dimension of a time-folded input [T*B, ...] must be a multiple of "
                f"timesteps={self.timesteps}, got shape {tuple(currents.shape)}"
            )
        unfolded = currents.unflatten(0, (self.timesteps, -1))
        return super().forward(unfolded).flatten(0, 1)

    def extra_repr(self) -> str:
        return f"timesteps={self.timesteps}, " + super().extra_repr()


@dataclass(frozen=True)
class SpikeSettings:
    """How a spiking network makes its neurons.

    ``barrier_surrogate`` is ``None`` without barriers (SEW) and ``"ste"`` (the
    paper's choice) or ``"sigmoid"`` for Sparse networks.
    """

    timesteps: int
    levels: int
    theta: float = 1.0
    alpha: float = 5.0
    barrier_surrogate: str | None = None

    def neuron(self) -> SpikingNeuron:
        """A neuron of the network, trained with the sigmoid surrogate."""
        return SpikingNeuron(self.timesteps, self.levels, self.theta, "sigmoid", self.alpha)

    def residual_sum(self) -> ResidualSum:
        """The residual sum, followed in a Sparse network by a barrier neuron.

        The barrier's threshold is one spike (:data:`SPIKE_UNIT`): with one
        timestep it outputs ``min(sum, N)`` for the non-negative integer sums
        of spikes, whatever ``theta`` the other neurons use.
        """
        if self.barrier_surrogate is None:
            return ResidualSum()
        barrier = SpikingNeuron(
            self.timesteps, self.levels, SPIKE_UNIT, self.barrier_surrogate, self.alpha
        )
        return ResidualSum(barrier)


class ReLU(nn.ReLU):
    """The ANN's activation, recordable by the activity monitor like a spiking neuron."""

    activity_kind = "neuron"

    def __init__(self) -> None:
        super().__init__()
        self.activity_name: str | None = None


class ResidualSum(nn.Module):
    r"""The point where a residual branch meets its shortcut: ``after(branch + shortcut)``.

    * SEW-ResNet (ADD connect function): ``after`` is ``None``; the output is the
      plain sum, in :math:`[0, 2N]` when both inputs are spikes in :math:`[0, N]`.
    * Sparse-ResNet: ``after`` is the barrier neuron, a :class:`SpikingNeuron`
      that brings the sum back to :math:`[0, N]`.
    * ANN ResNet: ``after`` is the ReLU that follows every residual addition.

    The activity monitor records this module's output under ``"sum0"``,
    ``"sum1"``, ...: the raw sum for SEW, the barrier's spikes for Sparse.
    """

    activity_kind = "sum"

    def __init__(self, after: nn.Module | None = None) -> None:
        super().__init__()
        self.after = after
        self.activity_name: str | None = None

    def forward(self, branch: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        total = branch + shortcut
        return total if self.after is None else self.after(total)


def model_input(batch: torch.Tensor) -> torch.Tensor:
    """A loader's batch as the networks take it: event frames ``[B, T, ...]`` become ``[T, B, ...]``.

    Images ``[B, C, H, W]`` are returned as they are.
    """
    return batch.transpose(0, 1) if batch.dim() == 5 else batch


def fold_time(x: torch.Tensor, timesteps: int) -> torch.Tensor:
    """Turn a network input into the time-folded ``[T*B, C, H, W]`` tensor.

    ``[B, C, H, W]`` is a static image, repeated over the T timesteps (direct
    encoding; for T = 1 it is returned as it is). ``[T, B, C, H, W]`` is a
    sequence of event frames whose T must equal ``timesteps``.
    """
    if x.dim() == 4:
        if timesteps == 1:
            return x
        return x.unsqueeze(0).expand(timesteps, *x.shape).flatten(0, 1)
    if x.dim() == 5:
        if x.shape[0] != timesteps:
            raise ValueError(
                f"input has {x.shape[0]} timesteps (first dimension of [T, B, C, H, W]) "
                f"but the network was built with timesteps={timesteps}"
            )
        return x.flatten(0, 1)
    raise ValueError(
        f"input must have shape [B, C, H, W] or [T, B, C, H, W], got shape {tuple(x.shape)}"
    )


def mean_over_time(logits: torch.Tensor, timesteps: int) -> torch.Tensor:
    """Average time-folded logits ``[T*B, K]`` over the T timesteps: ``[B, K]``."""
    if timesteps == 1:
        return logits
    return logits.unflatten(0, (timesteps, -1)).mean(dim=0)


def name_activity_layers(model: nn.Module, stem: nn.Module | None = None) -> None:
    """Give every recordable layer of ``model`` its readable ``activity_name``.

    Neurons are named by their module path (``"layer1.0.sn1"``), ``stem`` (the
    first neuron) is named ``"stem"``, residual sums are numbered ``"sum0"``,
    ``"sum1"``, ... in the order they were built, which is the forward order.
    A neuron inside a residual sum (the barrier) is recorded as part of that
    sum, not on its own.
    """
    inside_sums = set()
    sums = 0
    for path, module in model.named_modules():
        if isinstance(module, ResidualSum):
            module.activity_name = f"sum{sums}"
            sums += 1
            inside_sums.update(id(m) for m in module.modules() if m is not module)
        elif hasattr(module, "activity_name") and id(module) not in inside_sums:
            module.activity_name = "stem" if module is stem else path
