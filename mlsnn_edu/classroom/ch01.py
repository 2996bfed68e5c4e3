"""Checkers for chapter 1, the integrate-and-fire neuron."""

from __future__ import annotations

from collections.abc import Callable

import torch

from mlsnn_edu.classroom.checking import (
    CheckResult,
    as_function,
    as_number,
    as_pair,
    as_tensor,
    failed,
    passed,
    reports_wrong_answers,
)
from mlsnn_edu.neurons import multilevel_step
from mlsnn_edu.surrogate import sigmoid_surrogate_derivative

EXERCISE_1_1_INPUT = 0.45


@reports_wrong_answers
def check_potential_after_spike(answer: float) -> CheckResult:
    """Exercise 1.1: input 0.45 every step, threshold 1.0, soft reset; v right after the first spike."""
    name = "Exercise 1.1 (potential after one spike)"
    v = torch.zeros(1, dtype=torch.float64)
    current = torch.tensor([EXERCISE_1_1_INPUT], dtype=torch.float64)
    while True:
        z, v = multilevel_step(v, current, levels=1, theta=1.0)
        if z.item() > 0:
            break
    answer = as_number(answer, name, "the potential as one number")
    if abs(answer - v.item()) < 1e-6:
        return passed(name, "the soft reset keeps the charge above the threshold")
    if abs(answer) < 1e-6:
        return failed(name, "that is a hard reset; a soft reset subtracts the threshold instead")
    if abs(answer - (v.item() + 1.0)) < 1e-6:
        return failed(name, "that is the potential before the spike: the reset comes after it")
    return failed(
        name,
        f"add {EXERCISE_1_1_INPUT} step by step until v >= 1.0, then subtract the threshold once",
    )


@reports_wrong_answers
def check_if_step(
    step: Callable[[torch.Tensor, torch.Tensor, float], tuple[torch.Tensor, torch.Tensor]],
) -> CheckResult:
    """Exercise 1.2: ``step(v, current, theta) -> (spike, v_next)``, binary IF with soft reset."""
    name = "Exercise 1.2 (binary IF step)"
    step = as_function(step, name, "step(v, current, theta) -> (spike, v_next)")
    generator = torch.Generator().manual_seed(12)
    for theta in (1.0, 0.5, 2.0):
        v = torch.randn(200, generator=generator) * theta
        current = torch.randn(200, generator=generator) * theta
        # v + current lands exactly on the threshold here: the chapter fires at v >= theta
        v[:4], current[:4] = (
            torch.tensor([0.0, 0.5, 1.0, 1.5]) * theta,
            torch.tensor([1.0, 0.5, 0.0, -0.5]) * theta,
        )
        expected_z, expected_v = multilevel_step(v, current, levels=1, theta=theta)
        z, v_next = as_pair(step(v.clone(), current.clone(), theta), name, "(spike, v_next)")
        z = as_tensor(z, name, "spike (one per neuron, shaped as v)", v.shape, torch.float32)
        v_next = as_tensor(v_next, name, "v_next (shaped as v)", v.shape, torch.float32)
        if not torch.equal(z, expected_z):
            if ((z > 1) | (z < 0)).any():
                return failed(name, "a binary neuron emits 0 or 1 per step, whatever the potential")
            return failed(name, "integrate first (v + current), then compare with theta using >=")
        if not torch.allclose(v_next, expected_v, atol=1e-5):
            return failed(name, "after a spike, subtract theta from the potential (soft reset)")
    return passed(name)


@reports_wrong_answers
def check_sigmoid_surrogate(
    surrogate: Callable[[torch.Tensor, float, float], torch.Tensor],
) -> CheckResult:
    """Exercise 1.3: ``surrogate(v, theta, alpha)``, the derivative of sigmoid(alpha (v/theta - 1))."""
    name = "Exercise 1.3 (sigmoid surrogate)"
    surrogate = as_function(surrogate, name, "surrogate(v, theta, alpha) -> derivative")
    v = torch.linspace(-3, 5, 401, dtype=torch.float64)
    for theta, alpha in ((1.0, 5.0), (0.5, 2.0), (2.0, 10.0)):
        expected = sigmoid_surrogate_derivative(v, 1, theta, alpha)
        got = as_tensor(
            surrogate(v.clone(), theta, alpha),
            name,
            "the derivative (one per potential, shaped as v)",
            v.shape,
            torch.float64,
        )
        if not torch.allclose(got, expected, rtol=1e-4, atol=1e-8):
            if torch.allclose(got, expected * theta, rtol=1e-4, atol=1e-8):
                return failed(name, "the chain rule through v/theta brings a factor 1/theta")
            return failed(
                name,
                "use the chain rule: the sigmoid's own derivative can be written with the "
                "sigmoid itself; then multiply by the derivative of its argument",
            )
    return passed(name)
