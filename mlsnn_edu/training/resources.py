"""Will a run fit in memory? An estimate made before anything large is allocated.

The network is built on PyTorch's ``meta`` device, which records shapes and
allocates nothing, and run once on one sample with one timestep to measure the
activations of every layer. A training step then needs about

.. math::

    4\\,\\mathrm{B} \\times \\big(4 P + 3 A \\, B \\, T\\big)

with P parameters (weights, gradients and two optimizer buffers), A activation
values per sample and timestep (kept for the backward pass, about three tensors
per layer with the surrogate's), B the batch per process and T the timesteps.
This is a rough estimate, meant to stop ``width=100000`` or ``timesteps=100000``
with advice instead of a crash an hour later, not to plan a tight fit. The
sample is run in eval mode (batch norm cannot take training statistics of one
value per channel), at the dataset's own size: ``resolution`` for event data,
32x32 for the images. An input too small for the network's pooling is refused
here, with the smallest size that works.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from mlsnn_edu.checks import first_line
from mlsnn_edu.data import DATASET_SHAPES, EVENT_DATASETS
from mlsnn_edu.models import build_model
from mlsnn_edu.training.config import ConfigError, TrainConfig

BYTES_PER_VALUE = 4
COPIES_PER_PARAMETER = 4
COPIES_PER_ACTIVATION = 3
#: The side of the image datasets' inputs (digits and CIFAR); event data use ``resolution``.
IMAGE_SIDE = 32


def input_side(config: TrainConfig) -> int:
    """The height and width of one input of ``config``'s dataset."""
    return config.resolution if config.dataset in EVENT_DATASETS else IMAGE_SIDE


def shape_only_network(config: TrainConfig, width: int) -> tuple[nn.Module, int]:
    """``config``'s network at ``width`` and T = 1 on the ``meta`` device (shapes, no memory),
    and its input channels."""
    num_classes, in_channels = DATASET_SHAPES.get(config.dataset, (10, 3))
    with torch.device("meta"):
        model = build_model(
            config.model,
            num_classes=num_classes,
            timesteps=1,
            levels=config.levels,
            width=width,
            in_channels=in_channels,
            **config.model_options,
        )
    return model, in_channels


def training_memory_bytes(config: TrainConfig, batch_per_process: int) -> int:
    """Estimated bytes of one training step of ``config`` (see the module's docstring)."""
    model, in_channels = shape_only_network(config, config.width)
    parameters = sum(p.numel() for p in model.parameters())
    activations = 0

    def count(module: nn.Module, inputs, output) -> None:
        nonlocal activations
        if isinstance(output, torch.Tensor) and not list(module.children()):
            activations += output.numel()

    handles = [module.register_forward_hook(count) for module in model.modules()]
    side = input_side(config)
    try:
        with torch.no_grad():
            model.eval()(torch.empty(1, in_channels, side, side, device="meta"))
    except RuntimeError as error:
        raise ConfigError(
            f"resolution={side} is too small for {config.model} ({first_line(error, 120)}); "
            f"use resolution={smallest_side(config)} or more"
        ) from None
    finally:
        for handle in handles:
            handle.remove()
    values = (
        COPIES_PER_PARAMETER * parameters
        + COPIES_PER_ACTIVATION * activations * batch_per_process * config.timesteps
    )
    return BYTES_PER_VALUE * values


def smallest_side(config: TrainConfig, largest: int = 256) -> int:
    """The smallest input side (a power of two) ``config``'s network accepts."""
    model, in_channels = shape_only_network(config, width=1)
    model.eval()
    side = 1
    while side < largest:
        try:
            with torch.no_grad():
                model(torch.empty(1, in_channels, side, side, device="meta"))
            return side
        except RuntimeError:
            side *= 2
    return largest


def available_memory_bytes(device: torch.device) -> int | None:
    """Free memory on ``device`` (the GPU's free memory, or the machine's available RAM)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None


def check_memory(config: TrainConfig, device: torch.device, batch_per_process: int) -> None:
    """Raise :class:`ConfigError` with advice when a run of ``config`` cannot fit on ``device``."""
    needed = training_memory_bytes(config, batch_per_process)
    available = available_memory_bytes(device)
    if available is not None and needed > available:
        raise ConfigError(
            f"this run needs about {needed / 2**30:,.1f} GiB of memory for one training step "
            f"and {device} has {available / 2**30:,.1f} GiB free (width={config.width}, "
            f"batch_size={config.batch_size}, timesteps={config.timesteps}, "
            f"resolution={config.resolution}). Lower width, batch_size or timesteps."
        )
