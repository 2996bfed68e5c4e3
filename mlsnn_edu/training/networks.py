"""The network a run trains: built from its config, and loaded back from its checkpoint.

A checkpoint records the config and the architecture it was trained with, so
:func:`load_trained` rebuilds exactly that network and refuses weights that do
not fit it, or that hold NaN or infinite values (a diverged run).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import torch
from torch import nn

from mlsnn_edu.checks import check_choice
from mlsnn_edu.data import DATASET_SHAPES
from mlsnn_edu.models import build_model
from mlsnn_edu.training.checkpoint import (
    CheckpointError,
    architecture_of,
    load_checkpoint,
    load_model_weights,
)
from mlsnn_edu.training.config import TrainConfig


@contextlib.contextmanager
def float32_default():
    """Build modules in float32 whatever the default dtype (the datasets are float32)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def build_network(config: TrainConfig) -> nn.Module:
    """The network ``config`` describes, sized for its dataset (classes, input channels)."""
    check_choice(config.dataset, tuple(DATASET_SHAPES), "dataset")
    num_classes, in_channels = DATASET_SHAPES[config.dataset]
    with float32_default():
        return build_model(
            config.model,
            num_classes=num_classes,
            timesteps=config.timesteps,
            levels=config.levels,
            width=config.width,
            in_channels=in_channels,
            **config.model_options,
        ).float()


def network_architecture(model: nn.Module, config: TrainConfig) -> dict:
    """The architecture record of ``model``, built from ``config``, for its checkpoint."""
    num_classes, in_channels = DATASET_SHAPES[config.dataset]
    return architecture_of(model, config.to_dict(), num_classes, in_channels)


def load_trained(
    path: str | Path, device: torch.device | str = "cpu"
) -> tuple[nn.Module, TrainConfig]:
    """The network saved in the checkpoint at ``path`` (in eval mode) and its configuration.

    Refuses weights holding NaN or infinite values (a diverged run) and weights
    recorded for another architecture than the checkpoint's config builds.
    """
    path = Path(path)
    payload = load_checkpoint(path)
    try:
        config = TrainConfig.from_dict(payload["config"])
        model = build_network(config)
    except ValueError as error:
        raise CheckpointError(f"{path} holds a config that cannot be used: {error}") from None
    load_model_weights(model, payload, path, config.model)
    return model.to(device).eval(), config


def load_weights(model: nn.Module, path: str | Path) -> nn.Module:
    """Load the weights of the checkpoint at ``path`` into ``model``, after checking them.

    ``model`` must be the network the checkpoint records (the same model, T, N,
    width and options): the weights of a Sparse-ResNet18 fit a SEW-ResNet18 by
    name and shape, and are refused here. Non-finite weights are refused too.
    """
    path = Path(path)
    load_model_weights(model, load_checkpoint(path), path, type(model).__name__)
    return model


def non_finite_tensors(model: nn.Module) -> list[str]:
    """Names of the parameters and buffers of ``model`` holding NaN or infinite values."""
    named = [*model.named_parameters(), *model.named_buffers()]
    return [name for name, t in named if t.is_floating_point() and not torch.isfinite(t).all()]
