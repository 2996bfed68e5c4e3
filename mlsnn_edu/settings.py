"""Run-wide settings: quick mode versus paper scale, and seeding.

Quick mode (the default) runs every chapter on a 2-core laptop CPU with no
network, on the embedded digits data. ``MLSNN_EDU_FULL=1`` switches chapters to
paper scale (real datasets, full-width networks, a GPU when present).
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

FULL_SCALE_VARIABLE = "MLSNN_EDU_FULL"


def full_scale() -> bool:
    """True when ``MLSNN_EDU_FULL=1``: run at paper scale instead of quick mode."""
    return os.environ.get(FULL_SCALE_VARIABLE, "0").strip() == "1"


def default_device() -> torch.device:
    """The GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) for a repeatable run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
