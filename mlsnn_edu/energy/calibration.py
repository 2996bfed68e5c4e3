r"""Batch-norm statistics for an untrained network, so that its activity means something.

A freshly built network in eval mode normalises with running mean 0 and
variance 1, whatever its convolutions produce, so its spike counts say little.
:func:`calibrate_batch_norm` runs it over a few inputs in training mode (no
gradients, no weight change) and keeps the exact average of the batch
statistics. Every neuron then receives currents normalised as

.. math::

    I = \gamma \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta, \qquad \gamma = 1,\ \beta = 0,

i.e. of mean 0 and variance 1, as in a trained network before its batch norms
learn their own scale and shift. It is also how to re-estimate the statistics
of trained weights run with another T or N.
"""

from __future__ import annotations

import torch
from torch import nn

from mlsnn_edu.checks import check_positive_int

BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def calibrate_batch_norm(
    model: nn.Module, inputs: torch.Tensor, *, batch_size: int = 128
) -> nn.Module:
    """Set every batch norm's running statistics to the average over ``inputs``; returns ``model``.

    ``inputs`` is a batch the model takes (``[B, C, H, W]`` or ``[T, B, C, H, W]``).
    The model is left in eval mode; its weights are not touched.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    batch_axis = 1 if inputs.dim() == 5 else 0
    if inputs.shape[batch_axis] == 0:
        raise ValueError(f"inputs must hold at least one sample, got shape {tuple(inputs.shape)}")
    norms = [m for m in model.modules() if isinstance(m, BATCH_NORMS)]
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for batch in torch.split(inputs, batch_size, dim=batch_axis):
            model(batch)
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    return model.eval()
