r"""CIFAR ResNets: the ANN reference, SEW-ResNet (ADD) and Sparse-ResNet (barrier neurons).

All three share the CIFAR layout: a 3x3 stem of ``width`` channels, four stages
of basic blocks with ``width * (1, 2, 4, 8)`` channels and strides 1/2/2/2,
global average pooling and a linear head (``width = 64`` is the usual ResNet18).
They differ only in the activation and in what happens at the residual sum:

* ANN: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``.
* SEW-ResNet, ADD connect function (Fang et al., 2021):
  ``SN(bn2(conv2(SN(bn1(conv1(x)))))) + shortcut(x)``. Both terms are spikes in
  :math:`[0, N]`, so the sum reaches :math:`[0, 2N]`, the next block's sum
  :math:`[0, 3N]`, ...: the spike avalanche.
* Sparse-ResNet: the same sum followed by a barrier neuron, a multi-level IF
  neuron trained with the straight-through estimator whose threshold is one
  spike, so every block output is back in :math:`[0, N]` spikes.

A projection shortcut (when the shape changes) is a 1x1 convolution and batch
norm; in the spiking networks it ends with a spiking neuron, as in SEW-ResNet,
so that both terms of every residual sum are spikes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import torch
from torch import nn

from mlsnn_edu.models.layers import (
    ReLU,
    ResidualSum,
    SpikeSettings,
    fold_time,
    mean_over_time,
    name_activity_layers,
)

RESNET18_BLOCKS = (2, 2, 2, 2)
RESNET34_BLOCKS = (3, 4, 6, 3)


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def projection(
    in_channels: int, out_channels: int, stride: int, neuron: nn.Module | None
) -> nn.Sequential:
    """The shortcut that changes shape: 1x1 conv + BN (+ a spiking neuron in SNNs)."""
    layers = OrderedDict(
        conv=nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
        bn=nn.BatchNorm2d(out_channels),
    )
    if neuron is not None:
        layers["sn"] = neuron
    return nn.Sequential(layers)


def needs_projection(in_channels: int, out_channels: int, stride: int) -> bool:
    return stride != 1 or in_channels != out_channels


class BasicBlock(nn.Module):
    """ANN basic block: ``relu(bn2(conv2(relu1(bn1(conv1(x))))) + shortcut(x))``."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu1 = ReLU()
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = (
            projection(in_channels, out_channels, stride, None)
            if needs_projection(in_channels, out_channels, stride)
            else nn.Identity()
        )
        self.add = ResidualSum(ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.add(branch, self.shortcut(x))


class SpikingBasicBlock(nn.Module):
    """SEW or Sparse basic block: ``add(sn2(bn2(conv2(sn1(bn1(conv1(x)))))), shortcut(x))``.

    ``add`` is the plain sum (SEW) or the sum followed by a barrier neuron (Sparse).
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int, spikes: SpikeSettings
    ) -> None:
        super().__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.sn1 = spikes.neuron()
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.sn2 = spikes.neuron()
        self.shortcut = (
            projection(in_channels, out_channels, stride, spikes.neuron())
            if needs_projection(in_channels, out_channels, stride)
            else nn.Identity()
        )
        self.add = spikes.residual_sum()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.sn2(self.bn2(self.conv2(self.sn1(self.bn1(self.conv1(x))))))
        return self.add(branch, self.shortcut(x))


class ResNet(nn.Module):
    """A CIFAR ResNet: ANN when ``spikes`` is ``None``, else SEW or Sparse.

    Input ``[B, C, H, W]`` (repeated over T: direct encoding) or
    ``[T, B, C, H, W]`` (event frames); output: logits ``[B, num_classes]``
    averaged over the T timesteps.

    Attributes:
        name: the registry name, e.g. ``"sparse_resnet18"``.
        timesteps: T (1 for the ANN).
        levels: N (``None`` for the ANN, which has no spikes).
    """

    def __init__(
        self,
        name: str,
        blocks_per_stage: tuple[int, ...],
        *,
        num_classes: int,
        width: int,
        in_channels: int,
        spikes: SpikeSettings | None,
    ) -> None:
        super().__init__()
        self.name = name
        self.timesteps = 1 if spikes is None else spikes.timesteps
        self.levels = None if spikes is None else spikes.levels
        stem_activation = ReLU() if spikes is None else spikes.neuron()
        stem = OrderedDict(conv=conv3x3(in_channels, width), bn=nn.BatchNorm2d(width))
        stem["relu" if spikes is None else "sn"] = stem_activation
        self.stem = nn.Sequential(stem)
        channels = width
        for stage, count in enumerate(blocks_per_stage):
            out_channels = width * 2**stage
            blocks = []
            for index in range(count):
                stride = 2 if stage > 0 and index == 0 else 1
                if spikes is None:
                    blocks.append(BasicBlock(channels, out_channels, stride))
                else:
                    blocks.append(SpikingBasicBlock(channels, out_channels, stride, spikes))
                channels = out_channels
            self.add_module(f"layer{stage + 1}", nn.Sequential(*blocks))
        self.num_stages = len(blocks_per_stage)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        name_activity_layers(self, stem=stem_activation)

    def stages(self) -> Iterator[nn.Sequential]:
        for stage in range(1, self.num_stages + 1):
            yield getattr(self, f"layer{stage}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(fold_time(x, self.timesteps))
        for stage in self.stages():
            x = stage(x)
        logits = self.fc(torch.flatten(self.pool(x), 1))
        return mean_over_time(logits, self.timesteps)

    def block_parameters(self) -> dict[str, list[nn.Parameter]]:
        """Parameters grouped as the gradient recorder reports them: stem, each block, head."""
        groups = {"stem": list(self.stem.parameters())}
        for stage_index, stage in enumerate(self.stages(), start=1):
            for block_index, block in enumerate(stage):
                groups[f"layer{stage_index}.{block_index}"] = list(block.parameters())
        groups["fc"] = list(self.fc.parameters())
        return groups
