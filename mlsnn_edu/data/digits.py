r"""The embedded default dataset: scikit-learn's handwritten digits, lifted to 3x32x32.

scikit-learn ships 1797 real 8x8 greyscale digits (pixel values 0..16) inside
the package, so quick mode needs no network. Each image is scaled to [0, 1],
resized to 32x32 (bilinear), repeated to 3 channels so the CIFAR networks run
on it unchanged, and normalised per channel with the training split's mean and
standard deviation:

.. math::

    x_c \leftarrow (x_c - \mu_c) / \sigma_c .

The train/test split is stratified (every digit in the same proportion in both
halves) and fixed by ``seed``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import TensorDataset

DIGITS_CLASSES = 10
DIGITS_RESOLUTION = 32
DIGITS_MAX_VALUE = 16.0


def load_digit_images() -> tuple[np.ndarray, np.ndarray]:
    """The raw digits: images ``[1797, 8, 8]`` scaled to [0, 1] (float32) and labels (int64)."""
    digits = load_digits()
    images = (digits.images / DIGITS_MAX_VALUE).astype(np.float32)
    return images, digits.target.astype(np.int64)


def stratified_split(
    labels: np.ndarray, *, seed: int = 0, test_fraction: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` of a stratified split fixed by ``seed``."""
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    indices = np.arange(len(labels))
    train, test = train_test_split(
        indices, test_size=test_fraction, stratify=labels, random_state=seed
    )
    return np.sort(train), np.sort(test)


def lift_to_rgb32(images: np.ndarray, resolution: int = DIGITS_RESOLUTION) -> torch.Tensor:
    """``[B, H, W]`` greyscale in [0, 1] -> ``[B, 3, resolution, resolution]`` (bilinear)."""
    x = torch.as_tensor(images, dtype=torch.float32).unsqueeze(1)
    x = F.interpolate(x, size=(resolution, resolution), mode="bilinear", align_corners=False)
    return x.repeat(1, 3, 1, 1).contiguous()


def digits_datasets(
    seed: int = 0, test_fraction: float = 0.2
) -> tuple[TensorDataset, TensorDataset]:
    """The embedded train and test sets: ``(x [3, 32, 32] float32, label int64)`` pairs.

    Normalised per channel with the training split's statistics (applied to both
    splits, so the test set leaks nothing into the model).
    """
    images, labels = load_digit_images()
    train_index, test_index = stratified_split(labels, seed=seed, test_fraction=test_fraction)
    x = lift_to_rgb32(images)
    train_x, test_x = x[train_index], x[test_index]
    mean = train_x.mean(dim=(0, 2, 3), keepdim=True)
    std = train_x.std(dim=(0, 2, 3), keepdim=True)
    train_x = (train_x - mean) / std
    test_x = (test_x - mean) / std
    y = torch.as_tensor(labels)
    return TensorDataset(train_x, y[train_index]), TensorDataset(test_x, y[test_index])
