"""Checkers for chapter 5, training Sparse-ResNet18."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
from torch import nn

from mlsnn_edu.classroom.checking import (
    CheckResult,
    as_function,
    as_number,
    failed,
    passed,
    reports_wrong_answers,
)
from mlsnn_edu.training import train_epoch


def _tiny_problem(seed: int) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    x = torch.randn(16, 6, generator=generator)
    y = torch.randint(0, 3, (16,), generator=generator)
    return model, x, y


@reports_wrong_answers
def check_train_step(
    train_step: Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.optim.Optimizer], float],
) -> CheckResult:
    """Exercise 5.1: ``train_step(model, x, y, optimizer) -> loss``, one SGD step on cross-entropy.

    The reference is the library's :func:`~mlsnn_edu.training.train_epoch` on a
    loader of that one batch. Before each call the gradients hold leftovers of
    an earlier backward pass, as they do inside a real training loop.
    """
    name = "Exercise 5.1 (one training step)"
    train_step = as_function(train_step, name, "train_step(model, x, y, optimizer) -> loss")
    for seed in (1, 2, 3):
        yours, x, y = _tiny_problem(seed)
        reference = copy.deepcopy(yours)
        for model in (yours, reference):
            for parameter in model.parameters():
                parameter.grad = torch.ones_like(parameter)  # a stale gradient
        your_optimizer = torch.optim.SGD(yours.parameters(), lr=0.1, momentum=0.9)
        reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
        expected = train_epoch(reference, [(x, y)], reference_optimizer, progress=False)
        before = [p.detach().clone() for p in yours.parameters()]
        loss = train_step(yours, x.clone(), y.clone(), your_optimizer)
        after = list(yours.parameters())
        if all(torch.equal(a, b) for a, b in zip(before, after)):
            return failed(name, "the weights did not move: call optimizer.step() after backward")
        if not all(torch.allclose(a, b, atol=1e-6) for a, b in zip(after, reference.parameters())):
            return failed(
                name,
                "the step differs from the reference: clear old gradients "
                "(optimizer.zero_grad()) before loss.backward(), and use cross-entropy on logits",
            )
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            return failed(name, "return the loss as a float (loss.item()), not the tensor")
        loss = as_number(loss, name, "the batch's loss as a float (loss.item())")
        if not math.isclose(loss, expected.loss, rel_tol=1e-5):
            return failed(name, "return the batch's loss before the step, as a float (loss.item())")
    return passed(name, "your step and the library's move the weights identically")


@reports_wrong_answers
def check_cosine_lr(lr_at: Callable[[int, int, float], float]) -> CheckResult:
    """Exercise 5.2: ``lr_at(step, total_steps, base_lr)``, the cosine schedule down to 0."""
    name = "Exercise 5.2 (cosine schedule)"
    lr_at = as_function(lr_at, name, "lr_at(step, total_steps, base_lr) -> learning rate")
    for total, base in ((10, 0.08), (37, 1e-3), (100, 0.5)):
        parameter = nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([parameter], lr=base)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
        for step in range(total + 1):
            expected = optimizer.param_groups[0]["lr"]
            got = as_number(lr_at(step, total, base), name, "the learning rate as one number")
            if not math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12):
                if step == 0:
                    return failed(name, "the schedule starts at the base learning rate")
                if step == total:
                    return failed(name, "the schedule ends at exactly 0 after total_steps")
                return failed(
                    name, "halfway through it should be half the base rate: use (1 + cos(.))/2"
                )
            optimizer.step()
            schedule.step()
    return passed(name)
