r"""The STE claim's measurement: how much gradient reaches the stem of a residual SNN.

The gradient norm at the stem of SEW-ResNet18, Sparse + sigmoid barrier and
Sparse + STE barrier, with the same initial weights and the same batch, over
several seeds. The claim compares the logarithms of their ratios,

.. math::

    \log_{10} \frac{\lVert \nabla_{\text{stem}} \rVert_{\text{SG}}}
                    {\lVert \nabla_{\text{stem}} \rVert_{\text{STE}}},

in a fresh network and in a saturated one (every residual sum beyond N + 1),
which is what chapter 4 measures too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

from mlsnn_edu.gradients import GradientNormRecorder
from mlsnn_edu.models import build_model
from mlsnn_edu.settings import seed_everything

NO_GRADIENT = 1e-12


def stem_gradient(network: str, barrier: str | None, *, seed: int, saturate: bool) -> float:
    """Gradient norm at the stem of a width-8 ResNet18 [T=1, N=4] on one random batch.

    The weights and the batch depend only on ``seed``, so SEW, Sparse + sigmoid
    and Sparse + STE are compared with the same weights. ``saturate`` sets
    every second batch norm's shift to 8, pushing every residual sum beyond
    N + 1 (chapter 4's saturated regime).
    """
    seed_everything(seed)
    options = {} if barrier is None else {"barrier_surrogate": barrier}
    model = build_model(network, width=8, levels=4, **options)
    if saturate:
        for path, module in model.named_modules():
            if path.endswith("bn2"):
                nn.init.constant_(module.bias, 8.0)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(16, 3, 32, 32, generator=generator)
    with GradientNormRecorder(model) as recorder:
        nn.functional.cross_entropy(model(x), torch.arange(16) % 10).backward()
    return recorder.history["stem"][0]


@dataclass(frozen=True)
class GradientRatios:
    """Per seed: log10 of the stem gradient of Sparse + SG over Sparse + STE, and of STE over SEW."""

    sg_over_ste: list[float]
    ste_over_sew: list[float]


def stem_gradient_ratios(seeds: Iterable[int] = range(5), *, saturate: bool) -> GradientRatios:
    """:func:`stem_gradient` ratios, as base-10 logarithms (0 = equal; -1 = ten times less).

    A gradient of exactly 0 counts as :data:`NO_GRADIENT` (twelve orders of magnitude below).
    """
    sg, ste = [], []
    for seed in seeds:
        norms = {
            barrier: stem_gradient(model, barrier, seed=seed, saturate=saturate)
            for model, barrier in (
                ("sew_resnet18", None),
                ("sparse_resnet18", "sigmoid"),
                ("sparse_resnet18", "ste"),
            )
        }
        sg.append(math.log10(max(norms["sigmoid"] / norms["ste"], NO_GRADIENT)))
        ste.append(math.log10(norms["ste"] / norms[None]))
    return GradientRatios(sg, ste)
