"""Build any network of the book by name, with checked arguments."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from mlsnn_edu.checks import (
    check_alpha,
    check_choice,
    check_levels,
    check_positive_int,
    check_theta,
    check_timesteps,
)
from mlsnn_edu.models.layers import SpikeSettings
from mlsnn_edu.models.mobilenet import SpikingMobileNetV2
from mlsnn_edu.models.resnet import RESNET18_BLOCKS, RESNET34_BLOCKS, ResNet
from mlsnn_edu.models.vgg import VGG
from mlsnn_edu.surrogate import SURROGATES

RESNET_BLOCKS = {"resnet18": RESNET18_BLOCKS, "resnet34": RESNET34_BLOCKS}
COMMON_OPTIONS = ("alpha", "theta")
SPARSE_OPTIONS = (*COMMON_OPTIONS, "barrier_surrogate")


def _check_options(name: str, options: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(
            f"model {name!r} does not take option(s) {', '.join(unknown)}; "
            f"allowed options: {', '.join(allowed)}"
        )


def _spike_settings(kind: str, name: str, timesteps: int, levels: int, options: dict):
    """Checked neuron settings for a ``kind`` ("ann", "sew", "sparse") network; None for the ANN."""
    _check_options(name, options, SPARSE_OPTIONS if kind == "sparse" else COMMON_OPTIONS)
    theta = check_theta(options.get("theta", 1.0))
    alpha = check_alpha(options.get("alpha", 5.0))
    if kind == "ann":  # no spikes: timesteps, levels, theta and alpha are ignored
        return None
    barrier = None
    if kind == "sparse":
        barrier = check_choice(
            options.get("barrier_surrogate", "ste"), SURROGATES, "barrier_surrogate"
        )
    return SpikeSettings(check_timesteps(timesteps), check_levels(levels), theta, alpha, barrier)


def _resnet(kind: str, depth: str) -> Callable[..., nn.Module]:
    def build(name, *, num_classes, timesteps, levels, width, in_channels, **options) -> ResNet:
        spikes = _spike_settings(kind, name, timesteps, levels, options)
        return ResNet(
            name,
            RESNET_BLOCKS[depth],
            num_classes=num_classes,
            width=width,
            in_channels=in_channels,
            spikes=spikes,
        )

    return build


def _mobilenetv2(kind: str) -> Callable[..., nn.Module]:
    def build(name, *, num_classes, timesteps, levels, width, in_channels, **options):
        return SpikingMobileNetV2(
            name,
            num_classes=num_classes,
            width=width,
            in_channels=in_channels,
            spikes=_spike_settings(kind, name, timesteps, levels, options),
        )

    return build


def _vgg16(name, *, num_classes, timesteps, levels, width, in_channels, **options) -> VGG:
    _check_options(name, options, COMMON_OPTIONS)
    return VGG(
        name,
        num_classes=num_classes,
        width=width,
        in_channels=in_channels,
        timesteps=check_timesteps(timesteps),
        levels=check_levels(levels),
        theta=check_theta(options.get("theta", 1.0)),
        alpha=check_alpha(options.get("alpha", 5.0)),
    )


BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "ann_resnet18": _resnet("ann", "resnet18"),
    "sew_resnet18": _resnet("sew", "resnet18"),
    "sparse_resnet18": _resnet("sparse", "resnet18"),
    "ann_resnet34": _resnet("ann", "resnet34"),
    "sew_resnet34": _resnet("sew", "resnet34"),
    "sparse_resnet34": _resnet("sparse", "resnet34"),
    "vgg16_snn": _vgg16,
    "sew_mobilenetv2": _mobilenetv2("sew"),
    "sparse_mobilenetv2": _mobilenetv2("sparse"),
}
MODEL_NAMES: tuple[str, ...] = tuple(BUILDERS)


def build_model(
    name: str,
    *,
    num_classes: int = 10,
    timesteps: int = 1,
    levels: int = 4,
    width: int = 64,
    in_channels: int = 3,
    **options,
) -> nn.Module:
    """Build the network ``name`` (one of :data:`MODEL_NAMES`).

    Args:
        name: e.g. ``"sparse_resnet18"``.
        num_classes: size of the output layer.
        timesteps: T, timesteps per input (ignored by the ANNs, which have T = 1).
        levels: N, the largest spike value (ignored by the ANNs, whose ``levels`` is ``None``).
        width: channels of the first layer (64 = the paper's networks).
        in_channels: channels of the input (3 for images, 2 for event frames).
        **options: ``theta`` (threshold, 1.0), ``alpha`` (sigmoid surrogate slope,
            5.0) and, for the Sparse-ResNets only, ``barrier_surrogate``
            (``"ste"``, the paper's barrier, or ``"sigmoid"``).
    """
    if name not in BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODEL_NAMES)}")
    return BUILDERS[name](
        name,
        num_classes=check_positive_int(num_classes, "num_classes"),
        timesteps=timesteps,
        levels=levels,
        width=check_positive_int(width, "width"),
        in_channels=check_positive_int(in_channels, "in_channels"),
        **options,
    )
