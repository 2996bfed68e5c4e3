"""Datasets by name: the embedded digits (default, offline), CIFAR-10/100 and CIFAR10-DVS.

=================  ===========================================  ================
name               what                                         one input
=================  ===========================================  ================
``digits``         scikit-learn's digits, lifted to 3x32x32     ``[3, 32, 32]``
``digits_dvs``     the digits through the emulated event camera ``[T, 2, r, r]``
``cifar10``        CIFAR-10 (torchvision), standard augmentation ``[3, 32, 32]``
``cifar100``       CIFAR-100 (torchvision), same                ``[3, 32, 32]``
``cifar10_dvs``    CIFAR10-DVS (tonic), T frames                ``[T, 2, r, r]``
=================  ===========================================  ================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch.utils.data import Dataset

from mlsnn_edu.checks import check_choice
from mlsnn_edu.data.cifar import cifar_datasets
from mlsnn_edu.data.digits import digits_datasets, load_digit_images
from mlsnn_edu.data.dvs import (
    EmulatedDigitsDVS,
    EventFrames,
    cifar10_dvs_datasets,
    digit_stills,
    digits_dvs_datasets,
    emulate_event_camera,
    moving_edge_shares,
    saccade_path,
    shift_images,
)
from mlsnn_edu.data.errors import DatasetError

DATASET_NAMES = ("digits", "digits_dvs", "cifar10", "cifar100", "cifar10_dvs")
EVENT_DATASETS = ("digits_dvs", "cifar10_dvs")
#: (classes, input channels) of each dataset: what a network needs without loading the data.
DATASET_SHAPES = {
    "digits": (10, 3),
    "digits_dvs": (10, 2),
    "cifar10": (10, 3),
    "cifar100": (100, 3),
    "cifar10_dvs": (10, 2),
}


@dataclass
class Datasets:
    """A train and a test split, with what a network needs to know about them."""

    train: Dataset
    test: Dataset
    num_classes: int
    in_channels: int


def build_datasets(
    name: str = "digits",
    *,
    root: str | Path = "data",
    download: bool = False,
    timesteps: int = 1,
    resolution: int = 32,
    seed: int = 0,
) -> Datasets:
    """The dataset ``name`` (one of :data:`DATASET_NAMES`).

    ``timesteps`` and ``resolution`` are the number of frames and their size for
    the event datasets; ``seed`` fixes the digits' split; ``root`` and
    ``download`` concern the real datasets only. Missing or broken files raise a
    :class:`DatasetError` that says what to do.
    """
    check_choice(name, DATASET_NAMES, "dataset")
    if name == "digits":
        train, test = digits_datasets(seed=seed)
    elif name == "digits_dvs":
        train, test = digits_dvs_datasets(timesteps, resolution, seed=seed)
    elif name == "cifar10_dvs":
        train, test = cifar10_dvs_datasets(
            root, timesteps=timesteps, resolution=resolution, download=download
        )
    else:
        train, test = cifar_datasets(name, root, download=download)
    num_classes, in_channels = DATASET_SHAPES[name]
    return Datasets(train, test, num_classes=num_classes, in_channels=in_channels)


__all__ = [
    "DATASET_NAMES",
    "DATASET_SHAPES",
    "DatasetError",
    "Datasets",
    "EVENT_DATASETS",
    "EmulatedDigitsDVS",
    "EventFrames",
    "build_datasets",
    "cifar10_dvs_datasets",
    "cifar_datasets",
    "digit_stills",
    "digits_datasets",
    "digits_dvs_datasets",
    "emulate_event_camera",
    "load_digit_images",
    "moving_edge_shares",
    "saccade_path",
    "shift_images",
]
