r"""VGG16 as a spiking network, binary (N = 1, T = 4) or multi-level (N = 4, T = 1).

Thirteen ``conv3x3 -> BN -> SN`` layers with ``width * (1, 1, 2, 2, 4, 4, 4, 8, 8,
8, 8, 8, 8)`` channels (``width = 64`` is the usual VGG16), a 2x2 max-pool after
convolutions 2, 4, 7 and 10, then global average pooling and a linear
classifier. Max-pooling integer spikes gives integer spikes, so every layer
after the first one is fed values in :math:`[0, N]`.

Four pools, not the five of ImageNet's VGG16: on a 32x32 input a fifth
max-pool after convolution 13 shrinks its 2x2 map to one value per channel,
and a spiking network trained that way hands its classifier a few spikes per
image (about 6 of 512 values at width 16 on the digits) and does not learn
(18 % test accuracy after 7 epochs of the paper's recipe, against 65 % after 4
with four pools). Averaging the 2x2 map of spikes gives the classifier
:math:`4 (N T + 1)` levels per channel instead.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from mlsnn_edu.models.layers import (
    SpikingNeuron,
    fold_time,
    mean_over_time,
    name_activity_layers,
)

VGG16_WIDTHS = (1, 1, 2, 2, 4, 4, 4, 8, 8, 8, 8, 8, 8)
VGG16_POOL_AFTER = (2, 4, 7, 10)


class VGG(nn.Sequential):
    """Spiking VGG: layers ``conv1, bn1, sn1, ..., sn13, avgpool, flatten, fc``.

    Input ``[B, C, H, W]`` (repeated over T) or ``[T, B, C, H, W]``; output:
    logits ``[B, num_classes]`` averaged over T. Attributes ``name``,
    ``timesteps`` (T) and ``levels`` (N) as for the ResNets.
    """

    def __init__(
        self,
        name: str,
        *,
        num_classes: int,
        width: int,
        in_channels: int,
        timesteps: int,
        levels: int,
        theta: float = 1.0,
        alpha: float = 5.0,
    ) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        channels = in_channels
        for index, multiple in enumerate(VGG16_WIDTHS, start=1):
            out_channels = width * multiple
            layers[f"conv{index}"] = nn.Conv2d(channels, out_channels, 3, padding=1, bias=False)
            layers[f"bn{index}"] = nn.BatchNorm2d(out_channels)
            layers[f"sn{index}"] = SpikingNeuron(timesteps, levels, theta, "sigmoid", alpha)
            if index in VGG16_POOL_AFTER:
                layers[f"pool{VGG16_POOL_AFTER.index(index) + 1}"] = nn.MaxPool2d(2)
            channels = out_channels
        layers["avgpool"] = nn.AdaptiveAvgPool2d(1)
        layers["flatten"] = nn.Flatten()
        layers["fc"] = nn.Linear(channels, num_classes)
        super().__init__(layers)
        self.name = name
        self.timesteps = timesteps
        self.levels = levels
        name_activity_layers(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return mean_over_time(super().forward(fold_time(x, self.timesteps)), self.timesteps)

    def block_parameters(self) -> dict[str, list[nn.Parameter]]:
        """Parameters grouped per convolution (conv + its BN) and the head."""
        groups = {
            f"conv{index}": [
                *getattr(self, f"conv{index}").parameters(),
                *getattr(self, f"bn{index}").parameters(),
            ]
            for index in range(1, len(VGG16_WIDTHS) + 1)
        }
        groups["fc"] = list(self.fc.parameters())
        return groups
