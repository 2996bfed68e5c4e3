"""Checkers of chapter 5: the solutions pass, typical mistakes fail with a hint."""

from __future__ import annotations

import math

from torch import nn

from mlsnn_edu.classroom.ch05 import check_cosine_lr, check_train_step


def good_step(model, x, y, optimizer):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_train_step_solution_passes() -> None:
    assert check_train_step(good_step)


def test_train_step_without_zero_grad_fails_with_a_hint(capsys) -> None:
    def step(model, x, y, optimizer):
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    result = check_train_step(step)
    assert not result and "zero_grad" in result.message
    assert "[not yet]" in capsys.readouterr().out


def test_train_step_without_update_fails() -> None:
    def step(model, x, y, optimizer):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        return loss.item()

    result = check_train_step(step)
    assert not result and "optimizer.step()" in result.message


def test_train_step_returning_the_loss_after_the_step_fails() -> None:
    def step(model, x, y, optimizer):
        good_step(model, x, y, optimizer)
        return nn.functional.cross_entropy(model(x), y).item()

    result = check_train_step(step)
    assert not result and "before the step" in result.message


def test_cosine_solution_passes() -> None:
    assert check_cosine_lr(lambda k, total, base: base * (1 + math.cos(math.pi * k / total)) / 2)


def test_cosine_mistakes_fail_with_hints() -> None:
    constant = check_cosine_lr(lambda k, total, base: base)
    assert not constant and "half the base rate" in constant.message
    no_half = check_cosine_lr(lambda k, total, base: base * math.cos(math.pi * k / total))
    assert not no_half and "(1 + cos(.))/2" in no_half.message
    shifted = check_cosine_lr(
        lambda k, total, base: base * (1 + math.cos(math.pi * (k + 1) / total)) / 2
    )
    assert not shifted and "starts at the base" in shifted.message
