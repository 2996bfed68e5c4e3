"""Checkers for chapter 2, multi-level spikes."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from mlsnn_edu.classroom.checking import (
    CheckResult,
    as_function,
    as_pair,
    as_tensor,
    as_whole_number,
    failed,
    passed,
    reports_wrong_answers,
)
from mlsnn_edu.neurons import multilevel_step
from mlsnn_edu.quantization import num_levels, quantization_error

TARGET_MSE = 1e-3


@reports_wrong_answers
def check_level_count(answer: int) -> CheckResult:
    """Exercise 2.1: how many distinct spike totals a T=3, N=5 neuron can emit."""
    name = "Exercise 2.1 (levels)"
    expected = num_levels(3, 5)
    answer = as_whole_number(answer, name, "the number of levels, a whole number")
    if answer == expected:
        return passed(name, "N spikes per step over T steps, plus the silent case")
    if answer == expected - 1:
        return failed(name, "almost: list the possible totals, starting from the smallest")
    if answer in (3 + 1, 5 + 1):
        return failed(name, "both N and T count: what is the most the neuron can emit in T steps?")
    if answer == (3 + 1) * (5 + 1):
        return failed(name, "different timesteps can add up to the same total: count the totals")
    return failed(name, "count the possible totals from 0 up to the largest one")


@reports_wrong_answers
def check_multilevel_step(
    step: Callable[[torch.Tensor, torch.Tensor, int, float], tuple[torch.Tensor, torch.Tensor]],
) -> CheckResult:
    """Exercise 2.2: ``step(v, current, levels, theta) -> (z, v_next)`` in closed form."""
    name = "Exercise 2.2 (closed-form multi-level step)"
    step = as_function(step, name, "step(v, current, levels, theta) -> (z, v_next)")
    generator = torch.Generator().manual_seed(22)
    for levels, theta in ((1, 1.0), (4, 1.0), (3, 0.5), (8, 2.0)):
        v = torch.randn(300, generator=generator) * theta
        current = torch.randn(300, generator=generator) * levels * theta  # negatives and saturation
        expected_z, expected_v = multilevel_step(v, current, levels=levels, theta=theta)
        z, v_next = as_pair(step(v.clone(), current.clone(), levels, theta), name, "(z, v_next)")
        z = as_tensor(
            z, name, "z (one spike value per neuron, shaped as v)", v.shape, torch.float32
        )
        v_next = as_tensor(v_next, name, "v_next (shaped as v)", v.shape, torch.float32)
        if not torch.equal(z, expected_z):
            if (z < 0).any():
                return failed(name, "a negative potential emits no spike: clamp from below at 0")
            if (z > levels).any():
                return failed(name, "at most N spikes per timestep: clamp from above at N")
            return failed(
                name, "integrate first, then count how many thresholds fit in v (floor of v/theta)"
            )
        if not torch.allclose(v_next, expected_v, atol=1e-4):
            return failed(name, "subtract theta once per emitted spike, i.e. theta * z")
    return passed(name)


def smallest_levels_for(target_mse: float, max_levels: int = 64) -> int:
    """Smallest N whose T=1 neuron with theta=1/N keeps the MSE on U[0,1] below ``target_mse``."""
    x = torch.linspace(0, 1, 20001, dtype=torch.float64)
    for levels in range(1, max_levels + 1):
        if quantization_error(x, timesteps=1, levels=levels, theta=1 / levels).mse < target_mse:
            return levels
    raise ValueError(f"target_mse={target_mse} needs more than max_levels={max_levels} levels")


@reports_wrong_answers
def check_levels_for_target_error(answer: int) -> CheckResult:
    """Exercise 2.3: the smallest N (T=1, theta=1/N, inputs uniform on [0, 1]) with MSE < 1e-3."""
    name = "Exercise 2.3 (choose N for a target error)"
    expected = smallest_levels_for(TARGET_MSE)
    answer = as_whole_number(answer, name, "N, a whole number of levels")
    if answer == expected:
        return passed(name, "the error falls like the square of the step 1/N")
    if answer > 2 * expected:
        return failed(
            name,
            "far more than needed: compare the mean squared error, not its root or the worst case",
        )
    if answer > expected:
        return failed(name, "that works but is not the smallest: try fewer levels")
    if answer == math.ceil(math.sqrt(1 / (12 * TARGET_MSE))):
        return failed(
            name,
            "that would do for rounding to the nearest level; the neuron floors v/theta, so its "
            "error is not centred on 0",
        )
    return failed(
        name, "measure quantization_error for increasing N and stop at the first below the target"
    )
