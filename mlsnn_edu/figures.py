"""The data figures the book and the command line share, one function each.

Each function takes an optional ``ax`` so a chapter can place figures side by
side; without one it makes a new figure. Titles and axis labels are always
set. The functions draw what the library measured or reads from the
committed runs; they compute nothing themselves. (Concept diagrams live in
:mod:`mlsnn_edu.diagrams`; a chapter that lays out a one-off comparison draws
it with matplotlib around these functions.)

* neurons: :func:`plot_membrane_trace`, :func:`plot_staircase_and_surrogate`,
  :func:`plot_quantizer`;
* activity and training: :func:`plot_activity`, :func:`plot_gradient_norms`,
  :func:`plot_history`, :func:`plot_interval` (runs of several seeds), :func:`width_axis`,
  :func:`plot_barrier_ratios` (the committed sweep's Sparse / SEW comparison);
* energy: in :mod:`mlsnn_edu.energy_figures`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mlsnn_edu.checks import (
    check_alpha,
    check_levels,
    check_one_per_timestep,
    check_positive_int,
    check_theta,
)
from mlsnn_edu.experiments.claims import ceiling_by_epoch, ratio_by_epoch, ratio_by_width
from mlsnn_edu.experiments.results import (
    ACTIVITY_MEASURES,
    SEW_N4,
    SPARSE_N4,
    RunRecord,
)
from mlsnn_edu.experiments.verdict import mean_interval
from mlsnn_edu.monitor import LayerActivity
from mlsnn_edu.quantization import quantize
from mlsnn_edu.surrogate import sigmoid_surrogate_derivative, staircase


def _check_not_empty(values: object, name: str, what: str) -> None:
    """A figure of nothing says nothing: refuse an empty (or wrong) collection."""
    if not isinstance(values, (Mapping, list)) or not values:
        raise ValueError(f"{name} must be {what}, not empty; got {values!r:.60}")


def _axes(ax: Axes | None, size: tuple[float, float] = (6.0, 3.5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def plot_membrane_trace(
    currents: torch.Tensor,
    potentials: torch.Tensor,
    spikes: torch.Tensor,
    *,
    theta: float = 1.0,
    ax: Axes | None = None,
    title: str = "Membrane potential of an IF neuron",
) -> Axes:
    r"""The potential as a sawtooth: it rises by I(t), and drops by :math:`\theta z` at a spike.

    ``potentials`` are taken after the reset (as :func:`~mlsnn_edu.neurons.run_neuron`
    returns them); the peak before it is ``potentials + theta * spikes``. Each
    timestep draws the rise from the previous potential to that peak, then, where
    the neuron fired, a red drop to the potential after the reset, with the spike
    (and its value z when above 1) marked above the plot.
    """
    theta = check_theta(theta)
    given = {"currents": currents, "potentials": potentials, "spikes": spikes}
    currents, after, spikes = (check_one_per_timestep(v, name) for name, v in given.items())
    if not len(currents) == len(after) == len(spikes):
        lengths = f"{len(currents)}, {len(after)} and {len(spikes)}"
        raise ValueError(
            f"currents, potentials and spikes must cover the same timesteps: {lengths}"
        )
    ax = _axes(ax, size=(7.0, 3.6))
    before = after + theta * spikes
    steps = torch.arange(1, len(currents) + 1, dtype=torch.float64)
    ax.bar(
        steps.numpy(),
        currents.numpy(),
        width=0.35,
        color="tab:gray",
        alpha=0.35,
        label="input I(t)",
    )
    path_x, path_y = [0.0], [0.0]
    for t, peak, low in zip(steps.tolist(), before.tolist(), after.tolist()):
        path_x += [t, t]
        path_y += [peak, low]
    ax.plot(path_x, path_y, color="tab:blue", linewidth=1.2, zorder=2)
    ax.scatter(
        steps,
        before,
        marker="o",
        facecolors="white",
        edgecolors="tab:blue",
        zorder=3,
        label="v after integrating",
    )
    ax.scatter(steps, after, marker="o", color="tab:blue", zorder=3, label="v after reset")
    fired = spikes > 0
    for t, peak, low in zip(steps[fired].tolist(), before[fired].tolist(), after[fired].tolist()):
        ax.annotate(
            "",
            xy=(t, low),
            xytext=(t, peak),
            arrowprops={"arrowstyle": "-|>", "color": "tab:red", "linewidth": 1.6},
        )
    ax.axhline(theta, color="tab:red", linestyle="--", linewidth=1, label=r"threshold $\theta$")
    top = max(float(before.max()), theta) + 0.35
    ax.scatter(
        steps[fired],
        torch.full((int(fired.sum()),), top),
        marker="v",
        s=70,
        color="tab:red",
        zorder=3,
        label=r"spike (drop of $\theta z$)",
    )
    for t, z in zip(steps[fired].tolist(), spikes[fired].tolist()):
        if z > 1:
            ax.annotate(
                f"z={int(z)}",
                (t, top),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize="small",
                color="tab:red",
            )
    ax.set_xticks(steps.tolist())
    ax.set_ylim(top=top + 0.4)
    ax.set(xlabel="timestep t", ylabel="value", title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")  # off the data
    return ax


def plot_staircase_and_surrogate(
    *,
    levels: int,
    theta: float = 1.0,
    alphas: tuple[float, ...] = (2.0, 5.0, 10.0),
    ax: Axes | None = None,
) -> Axes:
    """The staircase z(v) and the sigmoid surrogate derivative for several slopes alpha."""
    levels, theta = check_levels(levels), check_theta(theta)
    alphas = [check_alpha(alpha, "each of alphas") for alpha in alphas]
    ax = _axes(ax)
    v = torch.linspace(-1.0, (levels + 1) * theta, 1201)
    ax.plot(v, staircase(v, levels, theta), color="black", label="z(v) (forward)")
    for alpha in alphas:
        derivative = sigmoid_surrogate_derivative(v, levels, theta, alpha)
        ax.plot(v, derivative, label=rf"surrogate dz/dv, $\alpha$={alpha:g}")
    ax.set(
        xlabel="membrane potential v",
        ylabel="value",
        title=f"Staircase and its surrogate (N={levels})",
    )
    ax.legend(fontsize="small")
    return ax


def plot_quantizer(
    *,
    timesteps: int,
    levels: int,
    theta: float = 1.0,
    input_range: tuple[float, float] = (-0.5, 4.5),
    ax: Axes | None = None,
) -> Axes:
    """The (T, N) quantizer q(x) against the identity over ``input_range``."""
    try:
        low, high = (float(bound) for bound in input_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"input_range must be two numbers (low, high), got {input_range!r}"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"input_range must be two finite numbers, low < high, got {input_range!r}")
    ax = _axes(ax)
    x = torch.linspace(low, high, 2001)
    ax.plot(x, x, color="tab:gray", linestyle="--", label="identity")
    ax.plot(
        x,
        quantize(x, timesteps=timesteps, levels=levels, theta=theta),
        color="tab:blue",
        label=f"q(x), T={timesteps}, N={levels}",
    )
    ax.set(
        xlabel="input current x",
        ylabel="rate-coded output q(x)",
        title=f"{levels * timesteps + 1} levels: T={timesteps}, N={levels}, theta={theta:g}",
    )
    ax.legend(loc="upper left", fontsize="small")
    return ax


# --- activity and training ------------------------------------------------------------


def plot_activity(
    summaries: Mapping[str, Mapping[str, LayerActivity]],
    ax: Axes | None = None,
    field: str = "events",
    log: bool = False,
) -> Axes:
    """Grouped bars of ``field`` ("events", "mass" or "max_value") per layer, one colour per model.

    ``summaries`` maps a label to a :meth:`~mlsnn_edu.monitor.SpikeMonitor.summary`.
    """
    if field not in ("events", "mass", "max_value"):
        raise ValueError(f"field must be one of 'events', 'mass', 'max_value', got {field!r}")
    _check_not_empty(summaries, "summaries", "a mapping of labels to monitor summaries")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.5))
    layers = list(next(iter(summaries.values()), {}))
    bar = 0.8 / max(len(summaries), 1)
    for index, (model, summary) in enumerate(summaries.items()):
        heights = [getattr(summary[n], field) if n in summary else 0.0 for n in layers]
        ax.bar([i + index * bar for i in range(len(layers))], heights, width=bar, label=model)
    ax.set_xticks([i + 0.4 - bar / 2 for i in range(len(layers))])
    ax.set_xticklabels(layers, rotation=90, fontsize=7)
    labels = {
        "events": "spike events per sample",
        "mass": "spike mass per sample",
        "max_value": "largest value",
    }
    ax.set_ylabel(labels[field])
    ax.set_xlabel("layer (forward order)")
    ax.set_title(f"{labels[field].capitalize()} per layer")
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


def plot_gradient_norms(
    history: dict[str, list[float]],
    *,
    ax: Axes | None = None,
    blocks: list[str] | None = None,
    smooth: int = 1,
    title: str = "Gradient norm per block",
) -> Axes:
    """One line per block over training steps (log scale), from a recorder's ``history``.

    With ``smooth`` > 1 each point is the mean of the last ``smooth`` steps.
    """
    _check_not_empty(history, "history", "a recorder's history: block name -> norms")
    smooth = check_positive_int(smooth, "smooth")
    names = list(history) if blocks is None else blocks
    if isinstance(names, str) or not names or any(name not in history for name in names):
        raise ValueError(f"blocks must be names from history ({list(history)}), got {blocks!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    for name in names:
        norms = torch.tensor(history[name], dtype=torch.float64)
        window = min(smooth, len(norms))
        if window > 1:
            norms = norms.unfold(0, window, 1).mean(dim=1)
        ax.plot(range(window, window + len(norms)), norms.tolist(), label=name)
    ax.set_yscale("log")
    ax.set_xlabel("training step (backward pass)")
    ax.set_ylabel("gradient L2 norm")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_interval(
    values: Mapping[int, list[float]],
    *,
    ax: Axes | None = None,
    label: str = "",
    reference: float | None = 1.0,
) -> Axes:
    """Mean over seeds (line and markers) with its 95 % t-interval (band) at each x.

    ``values`` maps x (a width, an epoch, ...) to one value per seed; an x with
    a single seed gets a marker and no band. ``reference`` draws a dashed
    horizontal line (1: the ratio of two equal quantities).
    """
    _check_not_empty(values, "values", "a mapping of x to one value per seed")
    ax = _axes(ax)
    xs = sorted(x for x in values if values[x])
    means = [sum(values[x]) / len(values[x]) for x in xs]
    line = ax.plot(xs, means, marker="o", label=label)[0]
    banded = [x for x in xs if len(values[x]) > 1]
    intervals = [mean_interval(values[x]) for x in banded]
    ax.fill_between(
        banded,
        [i.low for i in intervals],
        [i.high for i in intervals],
        color=line.get_color(),
        alpha=0.2,
    )
    if reference is not None:
        ax.axhline(reference, color="black", linestyle="--", linewidth=1)
    return ax


def width_axis(ax: Axes, widths: list[int]) -> Axes:
    """A network-width x axis: doubling widths evenly spaced, one labelled tick each."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(widths, [str(width) for width in widths])
    ax.minorticks_off()
    ax.set_xlabel("network width (channels of the first layer)")
    return ax


def plot_barrier_ratios(runs: list[RunRecord], *, width: int) -> Figure:
    """The committed sweep's barrier comparison, three panels side by side.

    Left: Sparse / SEW [T=1, N=4] activity after every epoch at ``width``;
    middle: the same after the last epoch, by width; right: the share of a SEW
    network's residual-sum mass above N (what a barrier could clip) per epoch,
    one line per width. Bands are 95 % intervals over seeds.
    """
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.9), layout="constrained")
    for name, measure in ACTIVITY_MEASURES.items():
        plot_interval(
            ratio_by_epoch(runs, SPARSE_N4, SEW_N4, width, measure), ax=axes[0], label=name
        )
        plot_interval(ratio_by_width(runs, SPARSE_N4, SEW_N4, measure), ax=axes[1], label=name)
    axes[0].set(xlabel="epoch", ylabel="Sparse / SEW", title=f"During training, width {width}")
    widths = sorted({run.width for run in runs if run.network == SEW_N4})
    width_axis(axes[1], widths)
    axes[1].set(ylabel="Sparse / SEW", title="After training, by width")
    for w in widths:
        shares = {e: [100 * v for v in vs] for e, vs in ceiling_by_epoch(runs, w).items()}
        plot_interval(shares, ax=axes[2], label=f"width {w}", reference=None)
    axes[2].set(
        xlabel="epoch",
        ylabel="% of SEW's sum mass above N",
        title="What a barrier could clip (SEW)",
    )
    axes[2].set_ylim(bottom=0)
    for ax in axes:
        ax.legend(fontsize="small")
    return fig


def plot_history(history: list[dict]) -> Figure:
    """Loss and accuracy per epoch (train and test) side by side, from a trainer's history.

    Returns the figure.
    """
    _check_not_empty(history, "history", "a trainer's history, one record per epoch")
    epochs = [r["epoch"] for r in history]
    figure, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(9, 3.2))
    for split in ("train", "test"):
        loss_ax.plot(epochs, [r[f"{split}_loss"] for r in history], marker="o", label=split)
        accuracy_ax.plot(
            epochs, [100 * r[f"{split}_accuracy"] for r in history], marker="o", label=split
        )
    loss_ax.set(title="Cross-entropy loss per epoch", xlabel="epoch", ylabel="loss")
    accuracy_ax.set(title="Accuracy per epoch", xlabel="epoch", ylabel="accuracy (%)")
    for ax in (loss_ax, accuracy_ax):
        ax.legend()
        ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure
