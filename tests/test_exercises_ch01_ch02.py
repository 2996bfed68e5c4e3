"""Chapter 1 and 2 checkers: solutions pass, wrong answers fail with a hint."""

from __future__ import annotations

import numpy as np
import torch

from mlsnn_edu.classroom import (
    check_if_step,
    check_level_count,
    check_levels_for_target_error,
    check_multilevel_step,
    check_potential_after_spike,
    check_sigmoid_surrogate,
)


def test_potential_after_spike() -> None:
    assert check_potential_after_spike(0.35)  # 0.45, 0.9, 1.35 -> spike -> 0.35
    hard_reset = check_potential_after_spike(0.0)
    assert not hard_reset and "hard reset" in hard_reset.message
    assert not check_potential_after_spike(1.35)
    assert not check_potential_after_spike(0.2)  # the chapter's quick check, not this exercise
    before_reset = check_potential_after_spike(1.35)
    assert "before the spike" in before_reset.message


def solution_if_step(v, current, theta):
    v = v + current
    spike = (v >= theta).float()
    return spike, v - theta * spike


def test_if_step() -> None:
    assert check_if_step(solution_if_step)

    def hard_reset(v, current, theta):
        spike, _ = solution_if_step(v, current, theta)
        return spike, torch.where(spike > 0, torch.zeros_like(v), v + current)

    result = check_if_step(hard_reset)
    assert not result and "soft reset" in result.message

    def strict(v, current, theta):
        v = v + current
        spike = (v > theta).float()  # misses v == theta, where the chapter's neuron fires
        return spike, v - theta * spike

    result = check_if_step(strict)
    assert not result and ">=" in result.message


def test_sigmoid_surrogate() -> None:
    def solution(v, theta, alpha):
        s = torch.sigmoid(alpha * (v / theta - 1))
        return alpha / theta * s * (1 - s)

    assert check_sigmoid_surrogate(solution)

    def forgot_chain_rule(v, theta, alpha):
        s = torch.sigmoid(alpha * (v / theta - 1))
        return alpha * s * (1 - s)

    result = check_sigmoid_surrogate(forgot_chain_rule)
    assert not result and "1/theta" in result.message

    def wrong_slope(v, theta, alpha):
        return torch.sigmoid(alpha * (v / theta - 1))

    hint = check_sigmoid_surrogate(wrong_slope).message
    assert "chain rule" in hint and "s (1 - s)" not in hint and "alpha/theta" not in hint


def test_level_count() -> None:
    assert check_level_count(16)
    forgot_zero = check_level_count(15)  # N * T: the largest total, not the number of totals
    assert not forgot_zero and "16" not in forgot_zero.message
    assert not check_level_count(4)
    patterns = check_level_count(24)  # (T + 1)(N + 1): counts patterns, not totals
    assert not patterns and "count the totals" in patterns.message
    assert "N*T" not in check_level_count(6).message  # the hint asks, it does not tell


def test_multilevel_step() -> None:
    def solution(v, current, levels, theta):
        v = v + current
        z = torch.clamp(torch.floor(v / theta), 0, levels)
        return z, v - theta * z

    assert check_multilevel_step(solution)

    def no_upper_clamp(v, current, levels, theta):
        v = v + current
        z = torch.clamp(torch.floor(v / theta), min=0)
        return z, v - theta * z

    result = check_multilevel_step(no_upper_clamp)
    assert not result and "at most N" in result.message


def test_levels_for_target_error() -> None:
    # Independent derivation: the floor quantizer's error is uniform on [0, 1/N),
    # so MSE = 1 / (3 N^2) < 1e-3  <=>  N >= 19.
    assert check_levels_for_target_error(19)
    assert not check_levels_for_target_error(18)
    assert "smallest" in check_levels_for_target_error(25).message
    # 1 / (12 N^2) < 1e-3 gives N = 10: right for a rounding quantizer, not for the floor
    centred = check_levels_for_target_error(10)
    assert not centred and "floors" in centred.message
    # the worst case (about 1/N < 1e-3) or the RMS error ask for hundreds of levels
    worst_case = check_levels_for_target_error(1000)
    assert not worst_case and "mean squared error" in worst_case.message
    assert check_levels_for_target_error(19.0)  # what solving 1 / (3 N^2) < 1e-3 by hand gives
    assert check_levels_for_target_error(np.int64(19))  # numpy's integers are whole numbers
    half = check_levels_for_target_error(18.5)
    assert not half and "whole number" in half.message and "18.5" in half.message
