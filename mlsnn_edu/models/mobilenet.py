r"""A CIFAR MobileNetV2 with spiking inverted-residual blocks, SEW or with barriers.

For the paper's first open question: does the barrier still tame the avalanche
in a network whose shortcuts are denser than ResNet18's? MobileNetV2 (Sandler
et al., 2018) stacks inverted-residual blocks, most of them with an identity
shortcut, up to four in a row.

Spiking inverted-residual block with expansion t (the ANN's linear bottleneck
gets a neuron too, so that both terms of the sum are spikes, as in SEW-ResNet):

.. math::

    \text{branch}(x) = \mathrm{SN}(\mathrm{BN}(\mathrm{conv}^{1\times1}_{\text{project}}(
        \mathrm{SN}(\mathrm{BN}(\mathrm{conv}^{3\times3}_{\text{depthwise}}(
        \mathrm{SN}(\mathrm{BN}(\mathrm{conv}^{1\times1}_{\text{expand}}(x)))))))))

and ``out = add(branch(x), x)`` when the block keeps the shape (stride 1, same
channels), else ``out = branch(x)``. ``add`` is the plain sum (SEW) or the sum
followed by a barrier neuron (Sparse). The layout is the ImageNet one with the
CIFAR changes (stride 1 in the stem and in the second stage); ``width = 64``
gives the standard channel counts (a stem of 32), other widths scale every
layer by ``width / 64``.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
from torch import nn

from mlsnn_edu.models.layers import (
    SpikeSettings,
    fold_time,
    mean_over_time,
    name_activity_layers,
)

# (expansion t, output channels c at width 64, blocks n, stride of the first block s)
MOBILENETV2_STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 1),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
MOBILENETV2_STEM = 32
MOBILENETV2_HEAD = 1280


def scaled(channels: int, width: int) -> int:
    return max(1, math.ceil(channels * width / 64))


def conv_bn_sn(
    in_channels: int,
    out_channels: int,
    kernel: int,
    stride: int,
    groups: int,
    spikes: SpikeSettings,
) -> OrderedDict:
    return OrderedDict(
        conv=nn.Conv2d(
            in_channels, out_channels, kernel, stride, kernel // 2, groups=groups, bias=False
        ),
        bn=nn.BatchNorm2d(out_channels),
        sn=spikes.neuron(),
    )


class SpikingInvertedResidual(nn.Module):
    """expand (1x1, if t > 1) -> depthwise (3x3) -> project (1x1), each conv + BN + SN.

    The block adds its input back (``add``) when it keeps the shape.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int,
        expansion: int,
        spikes: SpikeSettings,
    ) -> None:
        super().__init__()
        hidden = in_channels * expansion
        # with expansion 1 there is nothing to expand: the block starts at the depthwise conv
        self.expand = (
            nn.Sequential(conv_bn_sn(in_channels, hidden, 1, 1, 1, spikes))
            if expansion > 1
            else nn.Identity()
        )
        self.depthwise = nn.Sequential(conv_bn_sn(hidden, hidden, 3, stride, hidden, spikes))
        self.project = nn.Sequential(conv_bn_sn(hidden, out_channels, 1, 1, 1, spikes))
        keeps_shape = stride == 1 and in_channels == out_channels
        self.add = spikes.residual_sum() if keeps_shape else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.project(self.depthwise(self.expand(x)))
        return branch if self.add is None else self.add(branch, x)


class SpikingMobileNetV2(nn.Module):
    """Stem, seven stages of inverted-residual blocks, 1x1 head conv, pooling, linear.

    Attributes ``name``, ``timesteps`` (T) and ``levels`` (N) as for the ResNets.
    Recorded layers: ``stem``, ``layerS.B.expand.sn`` / ``.depthwise.sn`` /
    ``.project.sn``, ``head.sn`` and the residual sums ``sum0``, ``sum1``, ...
    """

    def __init__(
        self,
        name: str,
        *,
        num_classes: int,
        width: int,
        in_channels: int,
        spikes: SpikeSettings,
    ) -> None:
        super().__init__()
        self.name = name
        self.timesteps, self.levels = spikes.timesteps, spikes.levels
        channels = scaled(MOBILENETV2_STEM, width)
        self.stem = nn.Sequential(conv_bn_sn(in_channels, channels, 3, 1, 1, spikes))
        for stage, (expansion, out, count, first_stride) in enumerate(MOBILENETV2_STAGES, 1):
            blocks = []
            for index in range(count):
                stride = first_stride if index == 0 else 1
                out_channels = scaled(out, width)
                blocks.append(
                    SpikingInvertedResidual(channels, out_channels, stride, expansion, spikes)
                )
                channels = out_channels
            self.add_module(f"layer{stage}", nn.Sequential(*blocks))
        head = scaled(MOBILENETV2_HEAD, width)
        self.head = nn.Sequential(conv_bn_sn(channels, head, 1, 1, 1, spikes))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(head, num_classes)
        name_activity_layers(self, stem=self.stem.sn)

    def stages(self) -> list[nn.Sequential]:
        return [getattr(self, f"layer{s}") for s in range(1, len(MOBILENETV2_STAGES) + 1)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(fold_time(x, self.timesteps))
        for stage in self.stages():
            x = stage(x)
        x = torch.flatten(self.pool(self.head(x)), 1)
        return mean_over_time(self.fc(x), self.timesteps)

    def block_parameters(self) -> dict[str, list[nn.Parameter]]:
        """Parameters grouped per block: stem, every inverted-residual block, head conv, fc."""
        groups = {"stem": list(self.stem.parameters())}
        for stage_index, stage in enumerate(self.stages(), start=1):
            for block_index, block in enumerate(stage):
                groups[f"layer{stage_index}.{block_index}"] = list(block.parameters())
        groups["head"] = list(self.head.parameters())
        groups["fc"] = list(self.fc.parameters())
        return groups
