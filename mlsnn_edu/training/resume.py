"""Resuming a run with other settings: what may change, and how the change is applied.

``lr``, ``momentum``, ``weight_decay``, ``label_smoothing`` and ``epochs`` may
change when a run is resumed; the new values apply from the next step on, and
the trainer says so on stderr (even with ``progress=false``) and records it in
the checkpoint's ``resumes`` entry: the epoch it resumed after and what changed.
``epochs`` below the epochs already trained cannot be honoured (the run cannot
be untrained) and is refused. A new
``lr`` or ``epochs`` replans the cosine schedule
(:func:`~mlsnn_edu.training.optimization.replanned_schedule`). The other settings
(``progress``, ``device``, ``amp``, ``activity_samples``...) may change too and
are reported the same way. The network, the dataset, the optimizer, the batch
size, the training subset and the seed cannot change
(:data:`~mlsnn_edu.training.checkpoint.RESUME_FIXED_FIELDS`).
"""

from __future__ import annotations

import torch
from torch.optim.lr_scheduler import LRScheduler

from mlsnn_edu.training.config import TrainConfig
from mlsnn_edu.training.optimization import replanned_schedule

#: Settings applied to the optimizer's parameter groups when they change on resume.
OPTIMIZER_SETTINGS = ("lr", "momentum", "weight_decay")


def changed_settings(saved: dict, config: TrainConfig) -> dict[str, tuple[object, object]]:
    """``{name: (saved value, new value)}`` for every setting that differs from the checkpoint's.

    ``momentum`` does not count for an optimizer without one.
    """
    return {
        name: (saved.get(name), value)
        for name, value in config.to_dict().items()
        if saved.get(name) != value and not (name == "momentum" and config.optimizer != "sgd")
    }


def describe_changes(changed: dict[str, tuple[object, object]]) -> str:
    """``"lr 0.08 -> 0.01, progress True -> False"``."""
    return ", ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in changed.items())


def apply_changed_settings(
    changed: dict,
    config: TrainConfig,
    optimizer: torch.optim.Optimizer,
    schedule: LRScheduler,
    total_steps: int,
) -> LRScheduler:
    """Give the optimizer the changed settings; return the schedule to go on with."""
    for group in optimizer.param_groups:
        for name in OPTIMIZER_SETTINGS:
            if name in changed and name in group:
                group[name] = getattr(config, name)
    if "lr" in changed or "epochs" in changed:
        return replanned_schedule(optimizer, total_steps, config.lr, schedule.last_epoch)
    return schedule
