"""The figures the chapters draw, one function each, every one returning its Axes.

Each function takes an optional ``ax`` so a chapter can place figures side by
side; without one it makes a new figure. Titles and axis labels are always set.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes

from mlsnn_edu.quantization import quantize
from mlsnn_edu.surrogate import sigmoid_surrogate_derivative, staircase


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
    """Potential after each timestep (line), threshold (dashed), spikes (markers with their value)."""
    ax = _axes(ax)
    steps = torch.arange(1, len(currents) + 1)
    ax.step(steps, currents, where="mid", color="tab:gray", alpha=0.6, label="input current I(t)")
    ax.plot(steps, potentials, marker="o", color="tab:blue", label="v after reset")
    ax.axhline(theta, color="tab:red", linestyle="--", label=r"threshold $\theta$")
    fired = spikes > 0
    ax.scatter(
        steps[fired],
        torch.full((int(fired.sum()),), theta),
        marker="^",
        s=80,
        color="tab:red",
        zorder=3,
        label="spike",
    )
    for t, z in zip(steps[fired].tolist(), spikes[fired].tolist()):
        if z > 1:
            ax.annotate(
                f"z={int(z)}", (t, theta), textcoords="offset points", xytext=(0, 8), ha="center"
            )
    ax.set(xlabel="timestep t", ylabel="value", title=title)
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_staircase_and_surrogate(
    *,
    levels: int,
    theta: float = 1.0,
    alphas: tuple[float, ...] = (2.0, 5.0, 10.0),
    ax: Axes | None = None,
) -> Axes:
    """The staircase z(v) and the sigmoid surrogate derivative for several slopes alpha."""
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
    ax = _axes(ax)
    x = torch.linspace(*input_range, 2001)
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
