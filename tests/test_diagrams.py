"""The concept diagrams draw, and the numbers they show are the library's."""

from __future__ import annotations

import io

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from mlsnn_edu import diagrams
from mlsnn_edu.neurons import multilevel_step

matplotlib.use("Agg")

DIAGRAMS = (
    diagrams.if_neuron_loop,
    diagrams.microsteps,
    diagrams.avalanche_sources,
    diagrams.sew_and_sparse_blocks,
    diagrams.energy_terms,
)


@pytest.mark.parametrize("draw", DIAGRAMS, ids=[d.__name__ for d in DIAGRAMS])
def test_every_diagram_draws_a_figure_with_text(draw) -> None:
    figure = draw()
    assert isinstance(figure, Figure)
    texts = [t.get_text() for ax in figure.axes for t in ax.texts] + [
        ax.get_title() for ax in figure.axes
    ]
    assert any(texts)
    figure.savefig(io.BytesIO(), format="png")
    plt.close(figure)


def titles(figure: Figure) -> str:
    return " ".join(ax.get_title() for ax in figure.axes)


@pytest.mark.parametrize(("v_in", "levels"), [(2.7, 4), (0.4, 4), (9.2, 4), (3.0, 8)])
def test_microsteps_shows_the_closed_forms_spike_count(v_in: float, levels: int) -> None:
    z, _ = multilevel_step(
        torch.zeros(1, dtype=torch.float64),
        torch.tensor([v_in], dtype=torch.float64),
        levels=levels,
    )
    figure = diagrams.microsteps(v_in, levels)
    assert f"gives z = {int(z.item())} " in titles(figure)
    plt.close(figure)


def test_avalanche_bars_reach_the_sew_bound_and_the_barrier_line_is_n() -> None:
    levels, blocks = 4, 3
    figure = diagrams.avalanche_sources(levels, blocks)
    bars = figure.axes[1]
    tops = {}
    for patch in bars.patches:
        if isinstance(patch, Rectangle) and patch.get_height() > 0:
            x = round(patch.get_x() + patch.get_width() / 2)
            tops[x] = max(tops.get(x, 0), patch.get_y() + patch.get_height())
    # the sum of block k holds the stage input and k + 1 branches of at most N each
    assert [tops[k] for k in range(blocks)] == [(k + 2) * levels for k in range(blocks)]
    assert [line.get_ydata()[0] for line in bars.lines] == [levels]
    plt.close(figure)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="levels"):
        diagrams.microsteps(2.0, 0)
    with pytest.raises(ValueError, match="blocks"):
        diagrams.avalanche_sources(4, 0)
    with pytest.raises(ValueError, match="preset"):
        diagrams.energy_terms("nonexistent")
