"""What chapter 7's event figures show, computed from the data behind them.

The figure "Where the events fall" draws the events of the emulated camera
while the digit moves right, then down-left; its caption says the ON events
trace the leading edges of the strokes, the OFF events the trailing ones, and
the uniform insides of the strokes stay silent. The frames figure shows ON and
OFF counts side by side because over the closed path they cancel pixel by
pixel. These tests check each of those sentences on the data.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlsnn_edu.data.dvs import (
    EventFrames,
    digit_stills,
    emulate_event_camera,
    moving_edge_shares,
    saccade_path,
)

FIRST_LEG_US = 4 * 1000  # the path's first four steps (right by 2 pixels), 1000 us each


@pytest.fixture(scope="module")
def recordings() -> tuple[torch.Tensor, list[np.ndarray]]:
    stills = digit_stills(32)[:40]
    return stills, emulate_event_camera(stills, path=saccade_path(12, 2.0))


def test_the_stills_have_uniform_strokes_and_a_black_frame() -> None:
    stills = digit_stills(32)
    assert stills.shape[1:] == (32, 32)
    assert float(stills.min()) == 0.0 and float(stills.max()) == 1.0
    assert float(stills[:, :2].abs().sum() + stills[:, :, -2:].abs().sum()) == 0.0
    saturated = ((stills == 0) | (stills == 1)).float().mean()
    assert saturated > 0.8  # edges, not ramps, carry the grey values


def test_on_events_lie_on_leading_edges_and_off_events_on_trailing_edges(recordings) -> None:
    stills, events = recordings
    for still, recording in zip(stills, events):
        first_leg = recording[recording["t"] < FIRST_LEG_US]
        on_share, off_share = moving_edge_shares(first_leg, still, travel=2)
        assert on_share >= 0.95 and off_share >= 0.95


def near_sharp_edges(image: np.ndarray, travel: int = 2, step: float = 0.3) -> np.ndarray:
    """Pixels within ``travel`` columns of a sharp edge: a step >= ``step`` between neighbours."""
    jump = np.abs(np.diff(image, axis=1)) >= step
    edge = np.zeros(image.shape, dtype=bool)
    edge[:, :-1] |= jump
    edge[:, 1:] |= jump
    band = edge.copy()
    for offset in range(1, travel + 1):
        band[:, offset:] |= edge[:, :-offset]
        band[:, :-offset] |= edge[:, offset:]
    return band


def first_leg_share_near_edges(stills: torch.Tensor, events: list[np.ndarray]) -> float:
    shares = []
    for still, recording in zip(stills, events):
        first_leg = recording[recording["t"] < FIRST_LEG_US]
        shares.append(near_sharp_edges(still.numpy())[first_leg["y"], first_leg["x"]].mean())
    return float(np.mean(shares))


def test_the_events_hug_the_edges_and_the_insides_of_strokes_stay_silent(recordings) -> None:
    stills, events = recordings
    assert first_leg_share_near_edges(stills, events) >= 0.9
    for still, recording in zip(stills, events):
        image = still.numpy()
        first_leg = recording[recording["t"] < FIRST_LEG_US]
        flat = np.ones(image.shape, dtype=bool)  # nothing different arrives from the left
        for offset in (1, 2):
            left = np.zeros_like(image)
            left[:, offset:] = image[:, :-offset]
            flat &= left == image
        assert flat.sum() > 0 and not flat[first_leg["y"], first_leg["x"]].any()


def test_the_blurred_enlargement_alone_fires_everywhere_instead() -> None:
    # contrast 1 and no margin: the bilinear enlargement the first emulation fed the camera
    blurred = digit_stills(32, margin=0, contrast=1.0)[:40]
    events = emulate_event_camera(blurred, path=saccade_path(12, 2.0))
    assert first_leg_share_near_edges(blurred, events) < 0.5  # it has no sharp edge at all
    active = [len(np.unique(r["y"].astype(int) * 32 + r["x"])) for r in events]
    sharp = emulate_event_camera(digit_stills(32)[:40], path=saccade_path(12, 2.0))
    assert np.mean(active) > 1.3 * np.mean(
        [len(np.unique(r["y"].astype(int) * 32 + r["x"])) for r in sharp]
    )


def test_one_frame_of_the_closed_path_holds_both_polarities_at_each_edge(recordings) -> None:
    _, events = recordings
    frame = EventFrames((32, 32, 2), timesteps=1, resolution=32)(events[0])[0]
    assert float((frame[1] - frame[0]).abs().max()) <= 1.0  # ON minus OFF: almost nothing
    assert float(frame.sum(0).max()) >= 4.0  # yet each edge pixel saw several events
    quarters = EventFrames((32, 32, 2), timesteps=4, resolution=32)(events[0])
    assert float((quarters[0, 1] - quarters[0, 0]).abs().max()) >= 2.0  # one leg does not cancel


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="margin"):
        digit_stills(8, margin=4)
    with pytest.raises(ValueError, match="contrast"):
        digit_stills(32, contrast=0.0)
    with pytest.raises(ValueError, match="travel"):
        moving_edge_shares(np.zeros(0, dtype=[("x", int)]), np.zeros((4, 4)), travel=0)
