"""What the browser tests do on a page: move the explorers' sliders and read what they show.

The explorers are plain ``<input type="range">`` elements with an ``<output>``
beside each (``mlsnn_edu/explorers.py``); a reader moves them with the arrow keys
or by dragging, and so do these helpers.
"""

from __future__ import annotations

import time

from mlsnn_edu.explorers import QuantizationExplorer
from mlsnn_edu.quantization import QuantizationError

SETTINGS = ("timesteps", "levels", "theta", "low", "high")


def slider(explorer, name: str):
    return explorer.locator(f'input[type="range"][name="{name}"]')


def press(explorer, name: str, key: str, times: int = 1) -> float:
    """Focus slider ``name`` and press ``key`` ``times``; returns ms from the last press to redraw."""
    handle = slider(explorer, name)
    handle.focus()
    for _ in range(times - 1):
        handle.press(key)
    before = explorer.locator("svg").get_attribute("aria-label")
    started = time.perf_counter()
    handle.press(key)
    explorer.page.wait_for_function(
        "([root, before]) => root.querySelector('svg').getAttribute('aria-label') !== before",
        arg=[explorer.element_handle(), before],
        timeout=10_000,
    )
    return 1000 * (time.perf_counter() - started)


def drag(explorer, name: str, fraction: float) -> None:
    """Drag slider ``name``'s thumb with the mouse to ``fraction`` of its track."""
    box = slider(explorer, name).bounding_box()
    page = explorer.page
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + fraction * box["width"], y, steps=8)
    page.mouse.up()


def shown_settings(explorer) -> dict[str, float]:
    """The settings the page says it shows (the outputs beside the sliders)."""
    return {
        name: float(explorer.locator(f'output[data-for="{name}"]').inner_text())
        for name in SETTINGS
    }


def shown_result(explorer) -> tuple[int, float, float]:
    text = {
        name: explorer.locator(f"span.{name}").inner_text()
        for name in ("levels", "mse", "max-error")
    }
    return int(text["levels"]), float(text["mse"]), float(text["max-error"])


def library_result(settings: dict[str, float]) -> QuantizationError:
    """What the library computes for the settings the page shows, on the explorer's inputs."""
    explorer = QuantizationExplorer(
        timesteps=int(settings["timesteps"]),
        levels=int(settings["levels"]),
        theta=settings["theta"],
        input_range=(settings["low"], settings["high"]),
    )
    return explorer.result


def assert_matches_library(explorer) -> dict[str, float]:
    """The page's level count, MSE and max error equal the library's (to 1e-4)."""
    settings = shown_settings(explorer)
    expected = library_result(settings)
    levels, mse, max_abs = shown_result(explorer)
    assert levels == expected.levels, settings
    assert abs(mse - expected.mse) <= 1e-4, (settings, mse, expected.mse)
    assert abs(max_abs - expected.max_abs) <= 1e-4, (settings, max_abs, expected.max_abs)
    label = explorer.locator("svg").get_attribute("aria-label")
    assert f"T={int(settings['timesteps'])}, N={int(settings['levels'])}" in label
    return settings
