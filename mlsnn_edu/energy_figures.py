"""The energy figures: one stacked bar per layer or per network, split by kind of cost.

Like :mod:`mlsnn_edu.figures`, each function takes an optional ``ax`` and draws
what :func:`~mlsnn_edu.energy.estimate_energy` computed: the energy of every
layer of one :class:`~mlsnn_edu.energy.EnergyReport`
(:func:`plot_layer_energy`), or the total of several, by kind
(:func:`plot_energy_comparison`).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from mlsnn_edu.energy import ENERGY_KINDS, EnergyReport

KIND_COLOURS = {
    "operations": "tab:blue",
    "addressing": "tab:cyan",
    "weights": "tab:orange",
    "potentials": "tab:red",
    "biases": "tab:purple",
    "io": "tab:gray",
}


def _stacked(ax: Axes, labels: list[str], parts: list[dict[str, float]], scale: float) -> None:
    bottoms = [0.0] * len(labels)
    positions = range(len(labels))
    for kind in ENERGY_KINDS:
        heights = [part[kind] / scale for part in parts]
        ax.bar(positions, heights, bottom=bottoms, color=KIND_COLOURS[kind], label=kind)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    ax.set_xticks(list(positions), labels)


def plot_layer_energy(report: EnergyReport, *, ax: Axes | None = None) -> Axes:
    """Energy of every layer of ``report`` (nJ per inference), stacked by kind."""
    if not isinstance(report, EnergyReport):
        raise TypeError(f"report must be an EnergyReport, got {type(report).__name__}")
    if ax is None:
        _, ax = plt.subplots(
            figsize=(max(6.0, 0.25 * len(report.layers)), 3.5), layout="constrained"
        )
    _stacked(ax, [row.name for row in report.layers], [row.energy for row in report.layers], 1e3)
    ax.tick_params(axis="x", labelrotation=90, labelsize="x-small")
    ax.set(
        xlabel="layer",
        ylabel="energy per inference (nJ)",
        title=f"Energy per layer: {report.label()}",
    )
    ax.legend(fontsize="small", ncols=2)
    return ax


def plot_energy_comparison(
    reports: Mapping[str, EnergyReport],
    *,
    ax: Axes | None = None,
    title: str = "Energy per inference",
) -> Axes:
    """One stacked bar per network (uJ per inference), split by kind."""
    if not isinstance(reports, Mapping) or not reports:
        raise ValueError(
            f"reports must map labels to EnergyReports, at least one, got {reports!r:.60}"
        )
    strangers = [label for label, report in reports.items() if not isinstance(report, EnergyReport)]
    if strangers:
        raise TypeError(f"reports[{strangers[0]!r}] must be an EnergyReport")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * len(reports) + 2.5, 3.5), layout="constrained")
    _stacked(ax, list(reports), [report.by_kind() for report in reports.values()], 1e6)
    ax.set(xlabel="network", ylabel="energy per inference (uJ)", title=title)
    ax.legend(fontsize="small")
    return ax
