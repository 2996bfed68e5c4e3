"""The quantization explorer reacts to its sliders as the library computes."""

from __future__ import annotations

import numpy as np

from mlsnn_edu.widgets import quantization_explorer


def uniform_grid_error(low, high, samples, timesteps, levels, theta):
    x = np.linspace(low, high, samples)
    q = np.clip(np.floor(timesteps * x / theta), 0, levels * timesteps) * theta / timesteps
    return np.mean((q - x) ** 2), np.max(np.abs(q - x))


def test_moving_sliders_updates_levels_and_errors() -> None:
    explorer = quantization_explorer(timesteps=1, levels=4, theta=1.0, input_range=(0.0, 4.0))
    assert explorer.result.levels == 5
    before = explorer.result.mse

    explorer.timesteps.value = 3
    assert explorer.result.levels == 13
    mse, max_abs = uniform_grid_error(0.0, 4.0, explorer.samples, 3, 4, 1.0)
    assert np.isclose(explorer.result.mse, mse) and np.isclose(explorer.result.max_abs, max_abs)
    assert explorer.result.mse < before

    explorer.levels.value = 2
    explorer.theta.value = 0.5
    assert explorer.result.levels == 7
    mse, _ = uniform_grid_error(0.0, 4.0, explorer.samples, 3, 2, 0.5)
    assert np.isclose(explorer.result.mse, mse)
    assert "<span class='levels'>7</span>" in explorer.summary.value


def test_figure_follows_the_sliders() -> None:
    explorer = quantization_explorer(timesteps=2, levels=2)
    explorer.levels.value = 5
    assert "11 levels" in explorer.figure.axes[0].get_title()


def test_figure_is_an_image_with_alt_text() -> None:
    explorer = quantization_explorer(timesteps=1, levels=3)
    explorer.timesteps.value = 4
    image = explorer.figure_image.value
    assert image.startswith("<img alt=") and "data:image/png;base64," in image
    assert "T=4, N=3" in image
