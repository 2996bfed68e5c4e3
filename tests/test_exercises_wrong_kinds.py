"""Answers of the wrong kind meet a "[not yet]" naming what was received, never a traceback
from inside a checker, and never a pass; a right value in another numeric type passes.

From a probe of every checker with None, strings, arrays, tensors, pairs of the wrong
length, NaN and broadcastable shapes. What the reader's own function raises (a hand-out
stub's NotImplementedError) still propagates, by design: its traceback shows their line.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mlsnn_edu.classroom import (
    check_cosine_lr,
    check_events_and_mass,
    check_if_step,
    check_level_count,
    check_masked_straight_through,
    check_multilevel_step,
    check_potential_after_spike,
    check_sew_bound,
    check_sigmoid_surrogate,
    check_spike_units,
    check_surrogate_passes,
    check_train_step,
)
from mlsnn_edu.classroom.ch07 import check_events_for_change, check_events_to_frame
from mlsnn_edu.classroom.ch08 import check_cheaper_options, check_matching_levels


def if_step(v, current, theta):
    v = v + current
    spike = (v >= theta).float()
    return spike, v - theta * spike


def multilevel(v, current, levels, theta):
    v = v + current
    z = torch.clamp(torch.floor(v / theta), 0, levels)
    return z, v - theta * z


def events_and_mass(z, timesteps):
    samples = z.shape[0] // timesteps
    return float(torch.count_nonzero(z)) / samples, float(z.sum()) / samples


WRONG_KINDS = [
    (check_potential_after_spike, None, "got NoneType"),
    (check_potential_after_spike, "0.35", "got str"),
    (check_potential_after_spike, float("nan"), "finite"),
    (check_level_count, np.array([15, 16]), "got a ndarray of shape (2,)"),
    (check_level_count, "16", "got str"),
    (check_if_step, None, "expected a function step(v, current, theta)"),
    (check_if_step, lambda v, c, t: None, "return a pair (spike, v_next), got NoneType"),
    (check_if_step, lambda v, c, t: if_step(v, c, t)[0], "return a pair"),
    (check_if_step, lambda v, c, t: ("a", "b"), "spike (one per neuron, shaped as v)"),
    (check_sigmoid_surrogate, lambda v, t, a: None, "expected a tensor, got NoneType"),
    (check_multilevel_step, lambda v, c, n, t: (1, 2, 3), "return a pair (z, v_next)"),
    (check_sew_bound, lambda b, n: np.array([b, n]), "got a ndarray of shape (2,)"),
    (check_events_and_mass, lambda z, t: 3.0, "return a pair (events, mass)"),
    (check_events_and_mass, lambda z, t: (z.sum(dim=(1, 2, 3)), 1.0), "of shape"),
    (check_cosine_lr, lambda s, n, b: None, "got NoneType"),
    (check_spike_units, lambda e, m, x, n, r: None, "got NoneType"),
    (check_surrogate_passes, "1234", "got str"),
    (check_surrogate_passes, {1.5, 2.5, 3.5, 4.5}, "got 1.5"),
    (check_surrogate_passes, {math.inf}, "finite"),
    (check_masked_straight_through, None, "a subclass of torch.autograd.Function"),
    (check_events_to_frame, lambda e, s: (np.zeros((2, 4, 6)), 3), "got tuple"),
    (check_events_to_frame, lambda e, s: None, "got NoneType"),
    (check_surrogate_passes, torch.tensor(3), "got a Tensor of shape ()"),
    (check_cheaper_options, [["accumulate"]], "got list"),
    (check_masked_straight_through, torch.Tensor, "got the class Tensor"),
    (check_if_step, lambda v, c, t: tuple(x.to(torch.complex64) for x in if_step(v, c, t)), "got"),
    (check_events_for_change, lambda b, a, t, e: None, "got NoneType"),
    (check_matching_levels, np.array([4, 4]), "got a ndarray"),
    (check_cheaper_options, "accumulate", "got str"),
]


@pytest.mark.parametrize(("check", "answer", "words"), WRONG_KINDS)
def test_an_answer_of_the_wrong_kind_is_not_yet_and_says_what_came(check, answer, words) -> None:
    result = check(answer)
    assert not result
    assert words in result.message, result.message


def test_wrong_answers_that_used_to_pass() -> None:
    def nan_mass(z, timesteps):
        return events_and_mass(z, timesteps)[0], float("nan")

    assert not check_events_and_mass(nan_mass)  # NaN compared False with every tolerance
    assert not check_events_and_mass(lambda z, t: (float("nan"), float("nan")))

    def broadcast(v, current, theta):
        spike, v_next = if_step(v, current, theta)
        return spike, v_next.unsqueeze(0)  # [1, 200]: allclose would broadcast it

    assert "expected shape (200,)" in check_if_step(broadcast).message
    assert not check_multilevel_step(lambda v, c, n, t: (multilevel(v, c, n, t)[0], v[None]))


def test_right_values_in_other_numeric_types_pass() -> None:
    assert check_potential_after_spike(np.float32(0.35))
    assert check_potential_after_spike(torch.tensor(0.35))
    assert check_level_count(16.0)
    assert check_level_count(np.int64(16))
    assert check_matching_levels(4.0)  # N * 1 + 1 = 5 solved by division
    assert check_surrogate_passes([1, 2, 3, 4])
    assert check_if_step(lambda v, c, t: list(if_step(v, c, t)))  # a list is a pair too


FUNCTION_CHECKERS = [
    check_if_step,
    check_sigmoid_surrogate,
    check_multilevel_step,
    check_sew_bound,
    check_events_and_mass,
    check_train_step,
    check_cosine_lr,
    check_spike_units,
    check_events_to_frame,
    check_events_for_change,
]


@pytest.mark.parametrize("check", FUNCTION_CHECKERS, ids=lambda check: check.__name__)
def test_the_readers_own_errors_still_propagate(check) -> None:
    def stub(*arguments):
        raise NotImplementedError("exercise: a hand-out stub")

    with pytest.raises(NotImplementedError, match="exercise:"):
        check(stub)


def test_a_stub_class_of_exercise_4_2_propagates_too() -> None:
    class Stub(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v, levels, theta):
            raise NotImplementedError("exercise: a hand-out stub")

    with pytest.raises(NotImplementedError, match="exercise:"):
        check_masked_straight_through(Stub)
