"""Checkers for chapter 7, event data."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from tonic.functional import to_frame_numpy

from mlsnn_edu.classroom.checking import (
    CheckResult,
    as_function,
    as_number,
    failed,
    passed,
    received,
    reports_wrong_answers,
)
from mlsnn_edu.data.dvs import EVENT_DTYPE, emulate_event_camera


def _random_events(seed: int, count: int, size: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    events = np.zeros(count, dtype=EVENT_DTYPE)
    events["t"] = np.sort(rng.integers(0, 10_000, count))
    events["x"] = rng.integers(0, size[0], count)
    events["y"] = rng.integers(0, size[1], count)
    events["p"] = rng.random(count) < 0.4
    return events


@reports_wrong_answers
def check_events_to_frame(
    events_to_frame: Callable[[np.ndarray, tuple[int, int, int]], np.ndarray],
) -> CheckResult:
    """Exercise 7.1: ``events_to_frame(events, sensor_size) -> [2, H, W]`` counts of all events.

    The reference is tonic's ``to_frame_numpy`` with one slice holding every event.
    """
    name = "Exercise 7.1 (events to one frame)"
    events_to_frame = as_function(
        events_to_frame, name, "events_to_frame(events, sensor_size) -> [2, H, W] array"
    )
    for seed, sensor_size in ((0, (6, 4, 2)), (1, (9, 9, 2)), (2, (5, 7, 2))):
        events = _random_events(seed, 300, sensor_size[:2])
        expected = to_frame_numpy(events, sensor_size, event_count=len(events))[0]
        frame = events_to_frame(events.copy(), sensor_size)
        try:
            got = np.asarray(frame, dtype=float)
        except (TypeError, ValueError, RuntimeError):  # RuntimeError: a tensor needing grad
            got = np.zeros(0)
        if got.ndim == 0 or got.size == 0:
            return failed(name, f"return one [2, H, W] array of counts, got {received(frame)}")
        if got.shape != expected.shape:
            if got.shape == (2, sensor_size[0], sensor_size[1]) != expected.shape:
                return failed(name, "index the frame as [polarity, y, x]: rows are y")
            return failed(name, f"return one [2, H, W] array (here {expected.shape})")
        if np.array_equal(got, expected[::-1]):
            return failed(name, "channel 0 holds OFF events (p False), channel 1 ON events")
        if got.max() <= 1 < expected.max():
            return failed(name, "count the events per pixel: several can land on the same pixel")
        if not np.array_equal(got, expected):
            return failed(name, "add 1 at [p, y, x] for every event (np.add.at adds repeats)")
    return passed(name, "your frame is tonic's")


@reports_wrong_answers
def check_events_for_change(
    events_for_change: Callable[[float, float, float, float], int],
) -> CheckResult:
    """Exercise 7.2: ``events_for_change(before, after, threshold, epsilon) -> int``.

    Signed count (+ for ON, - for OFF) a pixel emits when its intensity jumps
    from ``before`` to ``after`` in one step. The reference is the library's
    emulated camera watching a two-pixel image ``[after, before]`` move right
    by one pixel: the right pixel goes from ``before`` to ``after``.
    """
    name = "Exercise 7.2 (events for one intensity change)"
    events_for_change = as_function(
        events_for_change, name, "events_for_change(before, after, threshold, epsilon) -> int"
    )
    cases = (
        (0.2, 0.9, 0.2, 0.1),
        (0.9, 0.2, 0.2, 0.1),
        (0.5, 0.55, 0.2, 0.1),
        (0.3, 0.9, 0.2, 0.1),  # 4.58 thresholds: whole ones only
        (0.9, 0.35, 0.2, 0.1),  # -3.99 thresholds
        (0.0, 1.0, 0.15, 0.05),
    )
    for before, after, threshold, epsilon in cases:
        image = torch.tensor([[[after, before]]])
        (events,) = emulate_event_camera(
            image, path=[[0, 0], [1, 0]], threshold=threshold, epsilon=epsilon
        )
        right = events[events["x"] == 1]
        expected = int(right["p"].sum()) - int((~right["p"]).sum())
        got = as_number(events_for_change(before, after, threshold, epsilon), name, "a number")
        if not got.is_integer():
            return failed(name, "return a whole number of events, signed: events are not split")
        got = int(got)
        if got != expected:
            return failed(name, _events_hint(got, expected, before, after, threshold, epsilon))
    return passed(name)


def _events_hint(
    got: int, expected: int, before: float, after: float, threshold: float, epsilon: float
) -> str:
    """A hint for a wrong count, from the mistake it matches; the answer is never in it."""
    crossed = (math.log(epsilon + after) - math.log(epsilon + before)) / threshold
    if expected != 0 and got == -expected:
        return "brighter means ON events: the sign follows after - before"
    if got == round(crossed) != math.floor(crossed):
        return "a pixel fires once per threshold it has fully crossed: a part of one gives nothing"
    if got == math.floor(crossed) and crossed < 0:
        return (
            "for a pixel that darkens, count the thresholds it has fully crossed: rounding a "
            "negative number down counts one that was not reached"
        )
    if got in (math.trunc((after - before) / threshold), math.floor((after - before) / threshold)):
        return "the camera compares log(epsilon + intensity), not the intensities themselves"
    if expected == 0:
        return "a change smaller than one threshold gives no event"
    return "follow the camera's rule: how far does log(epsilon + brightness) move, in thresholds?"
