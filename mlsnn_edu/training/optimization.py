r"""How a run updates its weights: the optimizer, and the one learning-rate schedule.

:func:`build_optimizer` makes SGD with momentum (the paper's recipe) or Adam.
The schedule is cosine annealing over the run's optimizer steps,

.. math::

    \eta_k = \eta_0\, \frac{1 + \cos(\pi k / K)}{2},\qquad k = 0, 1, \dots, K,

from the base rate :math:`\eta_0` (``lr``) at the first step to 0 at the last of
the run's K steps. PyTorch's ``CosineAnnealingLR`` computes it; this module
builds it and, when a resumed run changes ``lr`` or ``epochs``, builds it again
as if the run had been planned that way from the start.
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
    """The schedule a run planned with ``lr`` and ``total_steps`` would have after ``step`` steps.

    The optimizer's groups take that schedule's rate at ``step``: training goes on
    from the current step on the new curve (a finished run extended to more
    epochs starts again from 0 up to the new curve's value).
    """
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] = lr
    schedule = cosine_schedule(optimizer, total_steps)
    with warnings.catch_warnings():  # stepping a schedule without an optimizer step is the point
        warnings.simplefilter("ignore", UserWarning)
        for _ in range(step):
            schedule.step()
    return schedule
