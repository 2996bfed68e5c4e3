"""Checkers of chapter 7: the solutions pass, typical mistakes fail with a hint."""

from __future__ import annotations

import math

import numpy as np

from mlsnn_edu.classroom.ch07 import check_events_for_change, check_events_to_frame


def frame_of(events, sensor_size, polarity=None, transpose=False, binary=False):
    width, height, _ = sensor_size
    frame = np.zeros((2, height, width), dtype=np.int64)
    p = events["p"].astype(int) if polarity is None else polarity(events["p"])
    np.add.at(frame, (p, events["y"].astype(int), events["x"].astype(int)), 1)
    if binary:
        frame = np.minimum(frame, 1)
    return frame.transpose(0, 2, 1) if transpose else frame


def test_events_to_frame_solution_passes() -> None:
    assert check_events_to_frame(frame_of)


def test_events_to_frame_mistakes_fail_with_hints() -> None:
    swapped = check_events_to_frame(
        lambda e, s: frame_of(e, s, polarity=lambda p: 1 - p.astype(int))
    )
    assert not swapped and "channel 0 holds OFF" in swapped.message
    binary = check_events_to_frame(lambda e, s: frame_of(e, s, binary=True))
    assert not binary and "count the events" in binary.message
    transposed = check_events_to_frame(lambda e, s: frame_of(e, s, transpose=True))
    assert not transposed and "[polarity, y, x]" in transposed.message


def solution(before, after, threshold, epsilon):
    return math.trunc((math.log(epsilon + after) - math.log(epsilon + before)) / threshold)


def test_events_for_change_solution_passes() -> None:
    assert check_events_for_change(solution)


def test_events_for_change_mistakes_fail_with_hints() -> None:
    flipped = check_events_for_change(lambda b, a, c, e: -solution(b, a, c, e))
    assert not flipped and "brighter means ON" in flipped.message
    linear = check_events_for_change(lambda b, a, c, e: math.trunc((a - b) / c))
    assert not linear and "log(epsilon + intensity)" in linear.message


def crossed(before, after, threshold, epsilon):
    return (math.log(epsilon + after) - math.log(epsilon + before)) / threshold


def test_events_for_change_hints_name_the_rounding_mistake_not_the_logarithm() -> None:
    # both answers already compare logarithms: the hint must not send them back to it
    rounded = check_events_for_change(lambda *case: round(crossed(*case)))
    assert not rounded and "fully crossed" in rounded.message
    assert "log" not in rounded.message
    floored = check_events_for_change(lambda *case: math.floor(crossed(*case)))
    assert not floored and "darkens" in floored.message and "log" not in floored.message
    ceiled = check_events_for_change(lambda *case: math.ceil(crossed(*case)))
    assert not ceiled


def test_events_for_change_wants_whole_events_and_accepts_whole_floats() -> None:
    fractional = check_events_for_change(crossed)
    assert not fractional and "whole number" in fractional.message
    assert check_events_for_change(lambda *case: float(np.trunc(crossed(*case))))
    assert not check_events_for_change(lambda *case: crossed(*case) > 0)  # a bool is no count
    hints = [
        check_events_for_change(wrong).message
        for wrong in (
            lambda *case: round(crossed(*case)),
            lambda *case: math.floor(crossed(*case)),
            lambda b, a, c, e: math.trunc((a - b) / c),
        )
    ]
    for hint in hints:  # no hint spells out the formula
        assert "trunc" not in hint and "/ threshold" not in hint
