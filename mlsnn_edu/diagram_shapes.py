"""The shapes the concept diagrams of :mod:`mlsnn_edu.diagrams` are drawn with.

A canvas in diagram units, rounded boxes for the parts of a network, arrows for
what flows between them, and the colours that give each part one meaning in
every diagram (input, neuron, sum, barrier, spike).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

INPUT, NEURON, SUM, BARRIER, SPIKE = "#e8eef7", "#d6e9d5", "#f3f3f3", "#f7d9c4", "tab:red"


def canvas(width: float, height: float, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """An empty, axis-free drawing area ``width`` x ``height`` units, to scale, of ``size`` inches."""
    figure, ax = plt.subplots(figsize=size)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return figure, ax


def box(
    ax: Axes,
    centre: tuple[float, float],
    text: str,
    *,
    width: float = 2.4,
    height: float = 0.9,
    colour: str = SUM,
    edge: str = "black",
    fontsize: float = 9,
) -> tuple[float, float, float, float]:
    """A rounded box with ``text`` at ``centre``; returns its (left, right, bottom, top)."""
    x, y = centre
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=colour,
            edgecolor=edge,
            linewidth=1.0,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    return x - width / 2, x + width / 2, y - height / 2, y + height / 2


def arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    colour: str = "black",
    text: str = "",
    curve: float = 0.0,
    fontsize: float = 8,
    offset: tuple[float, float] = (0.1, 0.0),
    linewidth: float = 1.2,
) -> None:
    """An arrow from ``start`` to ``end`` (bent by ``curve``), with ``text`` beside its middle."""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=11,
            color=colour,
            linewidth=linewidth,
            connectionstyle=f"arc3,rad={curve}",
            shrinkA=0,
            shrinkB=0,
        )
    )
    if text:
        x = (start[0] + end[0]) / 2 + offset[0]
        y = (start[1] + end[1]) / 2 + offset[1]
        ax.text(x, y, text, fontsize=fontsize, color=colour, ha="left", va="center")
