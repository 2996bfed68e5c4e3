"""Argument checks shared by the library: one clear ``ValueError`` per bad input.

Every message names the argument, the allowed range and the value received, so a
reader who passes ``levels=0`` learns at once what went wrong and what to pass.
Integers may be any integral type (``int``, ``numpy.int64``, a 0-d integer
tensor); ``True`` and ``False`` are refused, since ``levels=True`` is a typo.
"""

from __future__ import annotations

import math
import operator

import torch

#: The largest N the library accepts. The sigmoid surrogate costs one term per
#: level, and no experiment of the paper goes beyond N = 8.
MAX_LEVELS = 256


#: The largest seed: NumPy's generators take 32-bit seeds.
MAX_SEED = 2**32 - 1


def check_seed(seed: object, name: str = "seed") -> int:
    """``seed`` must be an integer from 0 to :data:`MAX_SEED`; returns it as ``int``."""
    return check_integer(seed, name, minimum=0, maximum=MAX_SEED)


def check_positive_int(value: object, name: str, *, maximum: int | None = None) -> int:
    """``value`` must be an integer >= 1 (and <= ``maximum`` when given); returns it as ``int``."""
    return check_integer(value, name, minimum=1, maximum=maximum)


def check_integer(value: object, name: str, *, minimum: int, maximum: int | None = None) -> int:
    """``value`` must be an integer (any integral type) in [``minimum``, ``maximum``]."""
    allowed = f"an integer >= {minimum}" + (f" and <= {maximum:,}" if maximum is not None else "")
    if isinstance(value, bool):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be {allowed}, got {value!r}") from None
    if number < minimum or (maximum is not None and number > maximum):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return number


def check_levels(levels: object, name: str = "levels") -> int:
    """``levels`` (N, spikes per timestep) must be an integer in [1, :data:`MAX_LEVELS`]."""
    return check_positive_int(levels, f"{name} (N)", maximum=MAX_LEVELS)


def check_timesteps(timesteps: object, name: str = "timesteps") -> int:
    """``timesteps`` (T) must be an integer >= 1."""
    return check_positive_int(timesteps, f"{name} (T)")


def check_positive_number(value: object, name: str, what: str = "") -> float:
    """``value`` must be a finite real number > 0; returns it as ``float``."""
    label = f"{name} ({what})" if what else name
    if isinstance(value, (bool, str)):
        raise ValueError(f"{label} must be a finite number > 0, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{label} must be a finite number > 0, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{label} must be a finite number > 0, got {value!r}")
    return number


def check_theta(theta: object, name: str = "theta") -> float:
    """The firing threshold must be a finite number > 0."""
    return check_positive_number(theta, name, "threshold")


def check_alpha(alpha: object, name: str = "alpha") -> float:
    """The surrogate's slope must be a finite number > 0."""
    return check_positive_number(alpha, name, "surrogate slope")


def check_choice(value: object, choices: tuple[str, ...], name: str) -> str:
    """``value`` must be one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of ``error``'s message (at most ``limit`` characters), or its type's name.

    PyTorch's messages run to many lines; a one-line error report quotes this.
    """
    lines = str(error).strip().splitlines()
    return lines[0][:limit] if lines else type(error).__name__


def check_one_per_timestep(values: object, name: str) -> torch.Tensor:
    """``values`` as a 1-D float64 tensor, one value per timestep (``[T]``, ``[T, 1]``...)."""
    tensor = torch.as_tensor(values, dtype=torch.float64)
    if sum(size > 1 for size in tensor.shape) > 1 or tensor.numel() == 0:
        shape = tuple(tensor.shape)
        raise ValueError(f"{name} must hold one value per timestep, got shape {shape}")
    return tensor.flatten()
