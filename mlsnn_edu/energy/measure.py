"""Measuring a network's activity for the energy model: calibrate (an untrained network), then record.

The one path the library measures activity by (the sweep, the energy
comparisons, the explorers and the trainer call it), and the energy estimate
on top of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from mlsnn_edu.checks import check_positive_int
from mlsnn_edu.energy.calibration import calibrate_batch_norm
from mlsnn_edu.energy.estimate import EnergyReport, estimate_energy
from mlsnn_edu.monitor import SpikeMonitor, record_activity


def measure_activity(
    model: nn.Module,
    inputs: torch.Tensor | Iterable,
    *,
    calibrate_on: torch.Tensor | None = None,
    samples: int | None = None,
    batch_size: int = 64,
    autocast_dtype: torch.dtype | None = None,
) -> SpikeMonitor:
    """Chapter 6's lesson in one call: calibrate (an untrained network), then measure.

    With ``calibrate_on`` (training inputs), the batch norms' running statistics
    are first set to their average over those inputs
    (:func:`~mlsnn_edu.energy.calibration.calibrate_batch_norm`): an untrained
    network's activity means nothing without it. Then ``inputs`` (a batch the
    model takes, or a loader of ``(x, label)`` batches) run in eval mode
    without gradients under a :class:`~mlsnn_edu.monitor.SpikeMonitor`;
    ``samples`` stops after that many. The model's train/eval mode is restored.
    This is the one way the library measures activity for the energy model.
    """
    was_training = model.training
    try:
        if calibrate_on is not None:
            calibrate_batch_norm(model, calibrate_on)
        model.eval()
        return record_activity(
            model, inputs, samples=samples, batch_size=batch_size, autocast_dtype=autocast_dtype
        )
    finally:
        model.train(was_training)


def measure_energy(
    model: nn.Module,
    inputs: torch.Tensor,
    *,
    calibrate_on: torch.Tensor | None = None,
    batch_size: int = 64,
    **options: Any,
) -> EnergyReport:
    """:func:`measure_activity` on ``inputs``, then :func:`estimate_energy` (``options``)."""
    batch_size = check_positive_int(batch_size, "batch_size")
    monitor = measure_activity(model, inputs, calibrate_on=calibrate_on, batch_size=batch_size)
    return estimate_energy(model, monitor, **options)
