"""Argument checks shared by the library: one clear ``ValueError`` per bad input.

Every message names the argument, the allowed range and the value received, so a
reader who passes ``levels=0`` learns at once what went wrong and what to pass.
"""

from __future__ import annotations

import math


def check_levels(levels: int, name: str = "levels") -> int:
    """``levels`` (N, spikes per timestep) must be an integer >= 1."""
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
        raise ValueError(f"{name} (N) must be an integer >= 1, got {levels!r}")
    return levels


def check_timesteps(timesteps: int, name: str = "timesteps") -> int:
    """``timesteps`` (T) must be an integer >= 1."""
    if isinstance(timesteps, bool) or not isinstance(timesteps, int) or timesteps < 1:
        raise ValueError(f"{name} (T) must be an integer >= 1, got {timesteps!r}")
    return timesteps


def check_theta(theta: float, name: str = "theta") -> float:
    """The firing threshold must be a finite number > 0."""
    try:
        value = float(theta)
    except (TypeError, ValueError):
        raise ValueError(f"{name} (threshold) must be a finite number > 0, got {theta!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} (threshold) must be a finite number > 0, got {theta!r}")
    return value


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """The surrogate's slope must be a finite number > 0."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} (surrogate slope) must be a finite number > 0, got {alpha!r}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} (surrogate slope) must be a finite number > 0, got {alpha!r}")
    return value


def check_choice(value: str, choices: tuple[str, ...], name: str) -> str:
    """``value`` must be one of ``choices``."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
