r"""How a run updates its weights: the optimizer, and the one learning-rate schedule.

:func:`build_optimizer` makes SGD with momentum (the paper's recipe) or Adam.
The schedule is cosine annealing over the run's optimizer steps,

.. math::

    \eta_k = \eta_0\, \frac{1 + \cos(\pi k / K)}{2},\qquad k = 0, 1, \dots, K,

from the base rate :math:`\eta_0` (``lr``) at the first step to 0 at the last of
the run's K steps. PyTorch's ``CosineAnnealingLR`` computes it, and nothing else
does: this module builds it (:func:`cosine_schedule`); when a resumed run changes
``lr`` or ``epochs`` it builds it again for the new :math:`\eta_0` and K and sets
it at the step the run has reached (:func:`replanned_schedule`), and
:func:`cosine_lr` reads the rate at any step off it.

Stepping ``CosineAnnealingLR`` multiplies the rate by the ratio of successive
cosine factors, so its rates agree with the equation to rounding; a replanned
schedule starts from the equation's value at the step reached (PyTorch's closed
form), then steps on the same way.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR

from mlsnn_edu.training.config import TrainConfig


def build_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """``config.optimizer`` over ``model``'s parameters, with its lr, momentum and weight decay."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
        )
    return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def cosine_schedule(optimizer: torch.optim.Optimizer, total_steps: int) -> CosineAnnealingLR:
    """The cosine schedule over ``total_steps`` steps, from each group's current ``lr``."""
    return CosineAnnealingLR(optimizer, T_max=total_steps)


def replanned_schedule(
    optimizer: torch.optim.Optimizer, total_steps: int, lr: float, step: int
) -> CosineAnnealingLR:
    r"""The schedule of a run planned with ``lr`` and ``total_steps``, set at ``step``.

    The optimizer's groups take the rate :math:`\eta_k` of that schedule at
    k = ``step`` (``step`` <= ``total_steps``) and training goes on from there
    along the new curve.
    """
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] = lr
    schedule = cosine_schedule(optimizer, total_steps)
    with warnings.catch_warnings():
        # step(k) is PyTorch's closed form at step k, deprecated for stepping but the point here;
        # and the warning about a schedule stepped before its optimizer concerns training
        warnings.simplefilter("ignore", UserWarning)
        schedule.step(step)
    return schedule


def cosine_lr(step: int, total_steps: int, base_lr: float) -> float:
    r"""The schedule's rate :math:`\eta_k` at step k = ``step`` of ``total_steps`` (0 from K on)."""
    if step >= total_steps:
        return 0.0
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    replanned_schedule(optimizer, total_steps, base_lr, step)
    return optimizer.param_groups[0]["lr"]
