"""Run-wide settings: quick mode versus paper scale, and seeding.

Quick mode (the default) runs every chapter on a 2-core laptop CPU with no
network, on the embedded digits data. ``MLSNN_EDU_FULL=1`` (or ``true``) switches
chapters to paper scale (real datasets, full-width networks, a GPU when present).
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from mlsnn_edu.checks import check_seed

FULL_SCALE_VARIABLE = "MLSNN_EDU_FULL"
#: How ``MLSNN_EDU_FULL`` may be spelled (case does not matter); unset or empty is quick mode.
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


def full_scale() -> bool:
    """True when ``MLSNN_EDU_FULL`` is ``1`` (or ``true``, ``yes``, ``on``): paper scale.

    ``0``, ``false``, ``no``, ``off``, empty or unset mean quick mode; any other
    value raises ``ValueError`` naming the variable, rather than silently
    choosing one of the two.
    """
    text = os.environ.get(FULL_SCALE_VARIABLE, "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(
        f"{FULL_SCALE_VARIABLE}={os.environ[FULL_SCALE_VARIABLE]!r} is neither on "
        f"({', '.join(TRUE_WORDS)}) nor off ({', '.join(w for w in FALSE_WORDS if w)}, or unset)"
    )


def default_device() -> torch.device:
    """The GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) for a repeatable run.

    ``seed`` is an integer from 0 to 2**32 - 1 (NumPy's limit).
    """
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(name: str | torch.device | None) -> torch.device:
    """The device ``name`` asks for: ``"auto"`` or ``None`` (GPU if any), ``"cpu"``, ``"cuda[:K]"``.

    Raises ``ValueError`` for a name PyTorch does not know and for a GPU that is not there.
    """
    if name is None or name == "auto":
        return default_device()
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:K', got {name!r}"
        ) from None
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:K', got {name!r}")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {name!r} asks for a GPU, but PyTorch sees no CUDA GPU here; use cpu"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {name!r}: there are only {torch.cuda.device_count()} GPU(s) (cuda:0 ...)"
            )
    return device
