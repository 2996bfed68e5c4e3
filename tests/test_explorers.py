"""The explorers, driven in code (no kernel, no browser), and the pieces of the Voilà app
that need no server: its notebook and its command line.

Serving the app and moving its sliders in a browser is tests/browser/test_explorer.py.
"""

from __future__ import annotations

import argparse
import html
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from mlsnn_edu.cli.explore import add_explore_arguments, explore_command
from mlsnn_edu.explorer_app import explorer_notebook, serve_explorer, voila_command
from mlsnn_edu.explorers import (
    ActivityEnergyExplorer,
    activity_energy,
    activity_grid,
    quantization_explorer,
)

SMALL = dict(width=4, samples=4)  # a few seconds on a laptop CPU


# --- the quantization explorer (chapter 2) ---------------------------------------------------


def uniform_grid_error(low, high, samples, timesteps, levels, theta):
    x = np.linspace(low, high, samples)
    q = np.clip(np.floor(timesteps * x / theta), 0, levels * timesteps) * theta / timesteps
    return np.mean((q - x) ** 2), np.max(np.abs(q - x))


def test_moving_sliders_in_code_recomputes_levels_and_errors() -> None:
    explorer = quantization_explorer(timesteps=1, levels=4, theta=1.0, input_range=(0.0, 4.0))
    assert explorer.result.levels == 5
    before = explorer.result.mse

    explorer.set(timesteps=3)
    assert explorer.result.levels == 13
    mse, max_abs = uniform_grid_error(0.0, 4.0, explorer.samples, 3, 4, 1.0)
    assert np.isclose(explorer.result.mse, mse) and np.isclose(explorer.result.max_abs, max_abs)
    assert explorer.result.mse < before

    result = explorer.set(levels=2, theta=0.5)
    assert result == explorer.result and result.levels == 7
    mse, _ = uniform_grid_error(0.0, 4.0, explorer.samples, 3, 2, 0.5)
    assert np.isclose(result.mse, mse)


def test_the_page_starts_with_the_librarys_numbers_and_labelled_sliders() -> None:
    explorer = quantization_explorer(timesteps=2, levels=3, input_range=(0.0, 4.0))
    page = explorer._repr_html_()
    assert f"<span class='levels'>{explorer.result.levels}</span>" in page
    assert f"<span class='mse'>{explorer.result.mse:.5f}</span>" in page
    for label in ("T (timesteps)", "N (levels)", "θ (threshold)", "inputs from", "inputs to"):
        assert f'<label>{label} <input type="range"' in page
    assert 'role="img" aria-label="Staircase of the quantizer with T=2, N=3' in page
    assert "https://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert explorer._repr_html_() != page  # a fresh element id each time it is shown


def test_bad_settings_are_refused() -> None:
    explorer = quantization_explorer()
    with pytest.raises(ValueError, match="levels"):
        explorer.set(levels=0)
    with pytest.raises(ValueError, match="input_range"):
        explorer.set(input_range=(2.0, 1.0))
    with pytest.raises(ValueError, match="unknown setting"):
        explorer.set(alpha=3)


def test_the_activity_grid_holds_the_live_explorers_numbers() -> None:
    grid = activity_grid(
        timesteps=range(1, 3), levels=range(1, 3), **SMALL, start=("sew_resnet18", 2, 1)
    )
    assert len(grid.points) == 2 * 2 * 2
    assert grid.points["sparse_resnet18", 2, 2] == activity_energy(
        "sparse_resnet18", timesteps=2, levels=2, **SMALL
    )
    page = grid._repr_html_()
    start = grid.points["sew_resnet18", 2, 1]
    assert f"<span class='energy'>{start.energy_uj:.2f}</span>" in page
    assert '"sparse_resnet18|2|2"' in html.unescape(page)


# --- the activity and energy explorer --------------------------------------------------------


def shown(explorer: ActivityEnergyExplorer, name: str) -> float:
    text = re.search(rf"<span class='{name}'>([^<]+)</span>", explorer.summary.value).group(1)
    return float(text.replace(",", ""))


def test_sliders_recompute_what_the_library_measures() -> None:
    explorer = ActivityEnergyExplorer(timesteps=1, levels=4, **SMALL)
    assert explorer.result == activity_energy(timesteps=1, levels=4, **SMALL)
    explorer.timesteps.value = 2
    assert explorer.result == activity_energy(timesteps=2, levels=4, **SMALL)
    assert shown(explorer, "energy") == round(explorer.result.energy_uj, 2)
    assert shown(explorer, "events") == round(explorer.result.events)


def test_binary_spikes_have_equal_events_and_mass_and_multilevel_ones_do_not() -> None:
    binary = activity_energy(timesteps=2, levels=1, **SMALL)
    multilevel = activity_energy(timesteps=2, levels=4, **SMALL)
    assert binary.events == binary.mass > 0
    assert multilevel.mass > multilevel.events > 0


def test_more_timesteps_cost_more_energy_than_more_levels() -> None:
    """The paper's point, on this small network: [T=4, N=1] spends more than [T=1, N=4]."""
    many_steps = activity_energy(timesteps=4, levels=1, **SMALL)
    many_levels = activity_energy(timesteps=1, levels=4, **SMALL)
    assert many_steps.events > many_levels.events
    assert many_steps.energy_uj > many_levels.energy_uj


def test_network_toggle_switches_the_measured_network() -> None:
    explorer = ActivityEnergyExplorer(timesteps=1, levels=2, network="sparse_resnet18", **SMALL)
    explorer.network.value = "sew_resnet18"
    assert explorer.result == activity_energy("sew_resnet18", timesteps=1, levels=2, **SMALL)
    assert explorer.result != activity_energy("sparse_resnet18", timesteps=1, levels=2, **SMALL)


# --- the Voila app ---------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_explore_arguments(parser)
    return parser.parse_args(argv)


def test_notebook_builds_the_chapter_explorer_with_inline_figures() -> None:
    notebook = explorer_notebook("quantization")
    nbformat.validate(notebook)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert len(code) == 1
    assert code[0].rstrip().endswith("quantization_explorer()")
    assert "%matplotlib inline" in explorer_notebook("activity").cells[1].source


def test_unknown_explorer_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="quantization"):
        explorer_notebook("energy-of-everything")
    with pytest.raises(SystemExit):
        parse(["energy-of-everything"])


def test_voila_listens_on_loopback_only_on_the_given_port(tmp_path: Path) -> None:
    command = voila_command(tmp_path / "x.ipynb", 9123)
    assert "--Voila.ip=127.0.0.1" in command and "--port=9123" in command
    assert "--no-browser" in command and "--template=mlsnn-offline" in command
    assert "--no-browser" not in voila_command(tmp_path / "x.ipynb", 9123, open_browser=True)


def test_write_notebook_writes_a_runnable_notebook_and_starts_nothing(tmp_path: Path) -> None:
    target = tmp_path / "explorer.ipynb"
    assert explore_command(parse(["--write-notebook", str(target)])) == 0
    written = nbformat.read(target, as_version=4)
    nbformat.validate(written)
    sources = [cell.source for cell in explorer_notebook("quantization").cells]
    assert [cell.source for cell in written.cells] == sources


def test_port_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="--port"):
        serve_explorer("quantization", 70000)
