r"""Pictures of the ideas, drawn by matplotlib: one function per concept the book teaches.

Where :mod:`mlsnn_edu.figures` draws what the library measured, these draw how
a mechanism works; where a diagram shows numbers, the library computes them:

* :func:`if_neuron_loop`: the integrate, fire and reset loop of one IF neuron
  (chapter 1);
* :func:`microsteps`: N micro-steps inside one timestep, beside a binary neuron
  taking T timesteps for the same spikes (chapter 2);
* :func:`avalanche_sources`: where the spikes at a SEW residual sum come from,
  and how high they can pile up (chapter 3);
* :func:`sew_and_sparse_blocks`: a SEW block beside a Sparse block, the barrier
  after the sum (chapter 4);
* :func:`energy_terms`: what the analytical energy model charges a spiking
  layer, per input spike, per neuron and timestep, and per output spike
  (chapter 6).

Each returns its :class:`~matplotlib.figure.Figure`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from mlsnn_edu.checks import check_levels, check_positive_int, check_theta
from mlsnn_edu.diagram_shapes import BARRIER, INPUT, NEURON, SPIKE, SUM, arrow, box, canvas
from mlsnn_edu.energy.presets import get_preset
from mlsnn_edu.neurons import microstep_step, run_neuron


def if_neuron_loop(theta: float = 1.0) -> Figure:
    r"""The IF neuron as a loop: integrate, compare with :math:`\theta`, fire and reset, repeat.

    The membrane potential v is the only thing the neuron keeps from one
    timestep to the next.
    """
    theta = check_theta(theta)
    figure, ax = canvas(13.6, 5.2, (10.0, 3.9))
    box(ax, (1.2, 3.4), "input current\n$I(t)$", width=2.0, colour=INPUT)
    box(ax, (4.2, 3.4), "integrate\n$v \\leftarrow v + I(t)$", colour=NEURON)
    box(ax, (7.3, 3.4), f"fire?\n$v \\geq \\theta$ ($\\theta$ = {theta:g})", colour=NEURON)
    box(ax, (10.5, 4.4), "spike $s(t) = 1$", width=2.3, colour=BARRIER)
    box(ax, (10.5, 2.4), "soft reset\n$v \\leftarrow v - \\theta$", width=2.3, colour=NEURON)
    box(ax, (7.3, 1.0), "no spike: $s(t) = 0$, v kept", width=3.2, colour=SUM)
    arrow(ax, (2.2, 3.4), (3.0, 3.4))
    arrow(ax, (5.4, 3.4), (6.1, 3.4))
    arrow(ax, (8.5, 3.7), (9.35, 4.3), text="yes", offset=(-0.35, 0.3))
    arrow(ax, (10.5, 3.95), (10.5, 2.85))
    arrow(ax, (7.3, 2.95), (7.3, 1.45), text="no", offset=(0.1, 0.0))
    arrow(ax, (11.65, 4.4), (12.3, 4.4), colour=SPIKE)
    ax.text(12.4, 4.4, "to the\nnext layer", fontsize=8, color=SPIKE, va="center")
    # both branches end the timestep and come back to integrate at t + 1
    arrow(ax, (9.35, 2.2), (4.6, 2.95), curve=-0.25, colour="tab:blue")
    arrow(ax, (5.7, 1.0), (4.0, 2.95), curve=-0.3, colour="tab:blue")
    ax.text(
        0.2,
        1.5,
        "back for timestep $t + 1$:\nthe potential v is all\nthe neuron remembers",
        fontsize=8,
        color="tab:blue",
    )
    ax.set_title("The integrate-and-fire neuron, one timestep per turn of the loop")
    return figure


def microsteps(v_in: float = 2.7, levels: int = 4, theta: float = 1.0) -> Figure:
    r"""One timestep of N micro-steps, beside a binary neuron over N timesteps.

    Top: the multi-level neuron integrates ``v_in`` once, then at each of its
    ``levels`` micro-steps fires where :math:`v \ge \theta` and subtracts
    :math:`\theta` (the library's :func:`~mlsnn_edu.neurons.microstep_step`): it
    emits :math:`z = \min(\lfloor v/\theta \rfloor, N)` at once. Bottom: a binary
    neuron given the same charge in ``levels`` equal timesteps fires at most once
    per timestep (:func:`~mlsnn_edu.neurons.run_neuron`).
    """
    levels = check_levels(levels)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8.0, 5.4), layout="constrained")
    # top: one timestep, N micro-steps, traced literally
    v = torch.tensor([v_in], dtype=torch.float64)
    trace, fires = [v_in], []
    for _ in range(levels):
        z, v = microstep_step(v, torch.zeros(1, dtype=torch.float64), levels=1, theta=theta)
        fires.append(bool(z.item()))
        trace.append(v.item())
    z_total = sum(fires)
    closed, _ = microstep_step(
        torch.zeros(1, dtype=torch.float64),
        torch.tensor([v_in], dtype=torch.float64),
        levels=levels,
        theta=theta,
    )
    assert int(closed.item()) == z_total  # the literal loop and the closed form agree
    positions = list(range(levels + 1))
    top.axvspan(-0.5, levels + 0.5, color=INPUT, zorder=0)
    top.step(positions, trace, where="post", color="tab:blue", linewidth=1.5)
    top.scatter(positions, trace, color="tab:blue", zorder=3)
    top.axhline(theta, color=SPIKE, linestyle="--", linewidth=1)
    for k, fired in enumerate(fires, start=1):
        label = "fire: $-\\theta$" if fired else "$v < \\theta$: rest"
        top.annotate(
            label,
            (k - 0.5, max(trace[k - 1], theta) + 0.15),
            ha="center",
            fontsize=8,
            color=SPIKE if fired else "tab:gray",
        )
        if fired:
            top.scatter([k - 0.5], [v_in + 0.75], marker="v", s=60, color=SPIKE)
    top.set_xticks(
        positions,
        ["integrate\nonce"] + [f"micro-step {k}" for k in range(1, levels + 1)],
        fontsize=8,
    )
    top.set_ylim(min(trace) - 0.3, v_in + 1.2)
    top.set(
        ylabel="v",
        title=(
            f"One timestep, N = {levels} micro-steps: v = {v_in:g} gives "
            f"z = {z_total} (closed form: clamp(floor(v/θ), 0, N))"
        ),
    )
    # bottom: the same charge over N timesteps of a binary neuron
    per_step = torch.full((levels, 1), v_in / levels, dtype=torch.float64)
    spikes, potentials = run_neuron(per_step, levels=1, theta=theta)
    steps = list(range(1, levels + 1))
    before = (potentials + theta * spikes).flatten().tolist()
    after = potentials.flatten().tolist()
    path_x, path_y = [0.0], [0.0]
    for t, peak, low in zip(steps, before, after):
        path_x += [t, t]
        path_y += [peak, low]
    bottom.plot(path_x, path_y, color="tab:blue", linewidth=1.5)
    bottom.scatter(steps, after, color="tab:blue", zorder=3)
    bottom.axhline(theta, color=SPIKE, linestyle="--", linewidth=1)
    fired_at = [t for t, s in zip(steps, spikes.flatten().tolist()) if s > 0]
    bottom.scatter(fired_at, [max(before) + 0.35] * len(fired_at), marker="v", s=60, color=SPIKE)
    bottom.set_xticks(steps, [f"timestep {t}" for t in steps], fontsize=8)
    bottom.set_xlim(-0.5, levels + 0.5)
    bottom.set_ylim(min(after) - 0.3, max(before) + 0.8)
    bottom.set(
        ylabel="v",
        title=(
            f"Binary neuron (N = 1), the same charge in T = {levels} timesteps of "
            f"{v_in / levels:g}: {int(spikes.sum())} spikes, at most one per timestep"
        ),
    )
    return figure


#: The most blocks :func:`avalanche_sources` draws (one colour each, and the stage input's).
MAX_DRAWN_BLOCKS = 5


def avalanche_sources(levels: int = 4, blocks: int = 2) -> Figure:
    r"""Where a SEW stage's residual sums get their spikes, and how high they can go.

    A stage starts from spikes of at most N (the stem, or a projection
    shortcut's neuron). Each block adds its branch, at most N more, to what the
    shortcut carries forward, so the sum of block k (from 0) holds the stage
    input and k + 1 branches: up to (k + 2) N. A Sparse block's barrier clips
    each sum back to N before it is carried on.
    """
    levels = check_levels(levels)
    blocks = check_positive_int(blocks, "blocks", maximum=MAX_DRAWN_BLOCKS)
    figure, (flow, bars) = plt.subplots(
        1, 2, figsize=(11.5, 3.8), width_ratios=(1.6, 1.0), layout="constrained"
    )
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink"]
    names = ["stage input"] + [f"branch of block {k + 1}" for k in range(blocks)]
    # left: the chain of blocks; the main line is a cable of one coloured strand per source
    spacing = 3.6
    flow.set_xlim(0, spacing * blocks + 3.5)
    flow.set_ylim(0.3, 4.4)
    flow.set_aspect("equal")
    flow.axis("off")
    box(flow, (1.1, 2.0), "stage input\n(≤ N)", width=1.8, colour=INPUT)
    start = 2.0
    for k in range(blocks):
        x = 2.0 + spacing * (k + 1)  # the sum of block k
        for j in range(k + 1):  # what the shortcut carries into this sum
            y = 2.0 + 0.09 * (j - k / 2)
            flow.plot([start, x - 0.33], [y, y], color=colours[j], linewidth=2.4)
        branch = x - 1.5
        box(flow, (branch, 3.55), f"branch {k + 1}\nconv-BN-SN ×2", width=2.0, colour=NEURON)
        arrow(flow, (start + 0.1, 2.25), (branch - 1.0, 3.45), curve=-0.25)
        arrow(flow, (branch + 0.7, 3.1), (x - 0.2, 2.25), colour=colours[k + 1], linewidth=2.4)
        flow.add_patch(plt.Circle((x, 2.0), 0.33, facecolor=SUM, edgecolor="black", zorder=3))
        flow.text(x, 2.0, "+", ha="center", va="center", fontsize=12, zorder=4)
        flow.text(x, 1.4, f"sum{k}", ha="center", fontsize=9)
        start = x + 0.33
    for j in range(blocks + 1):  # out of the last sum: everything
        y = 2.0 + 0.09 * (j - blocks / 2)
        flow.plot([start, start + 1.0], [y, y], color=colours[j], linewidth=2.4)
    flow.text(
        0.2,
        0.6,
        "the shortcut carries every earlier spike forward (one strand per source);\n"
        "each block adds its own branch",
        fontsize=8,
    )
    flow.set_title("SEW stage: what reaches each residual sum")
    # right: the bound at each sum, stacked by source, against the barrier's N
    positions = range(blocks)
    for j, name in enumerate(names):
        heights = [levels if j <= k + 1 else 0 for k in positions]
        bottoms = [levels * j if j <= k + 1 else 0 for k in positions]
        bars.bar(
            [f"sum{k}" for k in positions],
            heights,
            bottom=bottoms,
            color=colours[j],
            label=name,
            edgecolor="white",
        )
    bars.axhline(levels, color="black", linestyle="--", linewidth=1.2)
    bars.text(-0.4, levels + 0.25, "Sparse: the barrier clips each sum to N", fontsize=8)
    bars.set(
        ylabel="largest value of a sum (spikes)",
        title=f"How high it can pile up, N = {levels}",
    )
    bars.set_ylim(0, levels * (blocks + 1) + 2)
    bars.legend(fontsize=7, loc="upper left")
    return figure


def sew_and_sparse_blocks(levels: int = 4) -> Figure:
    """A SEW-ResNet block beside a Sparse-ResNet block: the same, plus a barrier after the sum.

    The value range of what each arrow carries is written beside it, for
    multi-level neurons with N levels.
    """
    levels = check_levels(levels)
    figure, ax = canvas(12.0, 9.4, (9.0, 7.0))
    blocks = ((3.0, "SEW block (ADD)"), (9.0, "Sparse block"))
    for column, (x, title) in enumerate(blocks):
        ax.text(x, 9.1, f"{title}, N = {levels}", ha="center", fontsize=11, weight="bold")
        source = "input x (may exceed N)" if column == 0 else f"input spikes x: 0..{levels}"
        box(ax, (x, 8.2), source, width=3.0, colour=INPUT)
        box(ax, (x, 6.9), "conv - BN - SN", width=2.6, colour=NEURON)
        box(ax, (x, 5.6), "conv - BN - SN", width=2.6, colour=NEURON)
        ax.add_patch(plt.Circle((x, 4.3), 0.35, facecolor=SUM, edgecolor="black"))
        ax.text(x, 4.3, "+", ha="center", va="center", fontsize=14)
        arrow(ax, (x, 7.75), (x, 7.35))
        arrow(ax, (x, 6.45), (x, 6.05), text=f"0..{levels}")
        arrow(ax, (x, 5.15), (x, 4.65), text=f"0..{levels}")
        # the shortcut: identity around the branch
        ax.plot([x - 1.5, x - 2.1, x - 2.1], [8.2, 8.2, 4.3], color="black", linewidth=1.2)
        arrow(ax, (x - 2.1, 4.3), (x - 0.35, 4.3))
        ax.text(x - 2.05, 6.3, "shortcut\n(identity)", fontsize=8, rotation=90, va="center")
        if column == 0:
            arrow(
                ax,
                (x, 3.95),
                (x, 2.2),
                text=f"0..{2 * levels} if x ≤ {levels};\nmore when x is a sum:\ngrows block by block",
            )
            box(ax, (x, 1.7), f"output: values above {levels}\ngo on to the next block", width=3.2)
        else:
            arrow(ax, (x, 3.95), (x, 3.3), text=f"0..{2 * levels}")
            box(
                ax,
                (x, 2.8),
                "barrier: multi-level SN\nclamp to N, trained by STE",
                width=3.2,
                height=0.95,
                colour=BARRIER,
            )
            arrow(ax, (x, 2.32), (x, 1.55), text=f"0..{levels}")
            box(ax, (x, 1.1), f"output: spikes 0..{levels}, as x", width=3.2)
    ax.text(
        6.0,
        0.15,
        "SN: multi-level spiking neuron trained with the sigmoid surrogate; "
        "STE: straight-through estimator",
        ha="center",
        fontsize=8,
    )
    return figure


def energy_terms(preset: str = "horowitz45nm") -> Figure:
    """What the analytical energy model charges a spiking layer, grouped by what triggers it.

    Per incoming spike unit, per neuron and timestep, per emitted spike unit, as
    in :mod:`mlsnn_edu.energy.counts`; the costs at the bottom are the preset's.
    """
    costs = get_preset(preset)
    figure, ax = canvas(12.6, 5.6, (10.5, 4.7))
    columns = (
        (
            "each incoming spike unit",
            INPUT,
            [
                r"$\lceil H_k/S\rceil \lceil W_k/S\rceil C_{out}$ synaptic accumulates",
                r"addressing: 2 MACs + $H_k W_k$ accumulates",
                r"$C_{out} H_k W_k$ weight reads",
                r"$C_{out} H_k W_k$ potential reads and writes",
                "1 input-buffer read",
            ],
        ),
        (
            "each neuron, every timestep\n(whatever the spikes)",
            NEURON,
            [
                "1 accumulate (update: bias, compare)",
                "1 potential read and 1 write",
                "1 bias read",
                r"$\times\ T$ timesteps $\times\ C_{out} H_{out} W_{out}$ neurons",
            ],
        ),
        (
            "each emitted spike unit",
            BARRIER,
            ["1 accumulate (the soft reset)", "1 output-buffer write"],
        ),
    )
    for k, (title, colour, lines) in enumerate(columns):
        x = 2.1 + 4.2 * k
        box(ax, (x, 4.9), title, width=3.9, height=0.9, colour=colour, fontsize=9.5)
        box(ax, (x, 3.05), "\n".join(lines), width=4.0, height=2.1, colour="white", fontsize=8.5)
        arrow(ax, (x, 4.45), (x, 4.1))
    ax.text(
        6.3,
        1.15,
        f"priced with {costs.name}: accumulate {costs.add_pj:g} pJ, multiply-accumulate "
        f"{costs.mac_pj():g} pJ;\na memory access costs more the larger the memory it touches "
        f"({costs.ram_per_bit_pj:g} pJ/bit × size + {costs.ram_offset_pj:g} pJ)",
        ha="center",
        fontsize=8.5,
    )
    ax.text(
        6.3,
        0.1,
        "a multi-level spike of value k counts as k units, as one event, or as the largest\n"
        "value its stream can carry: chapter 6's three options",
        ha="center",
        fontsize=8.5,
        style="italic",
    )
    ax.set_title("The energy model's terms for one spiking layer")
    return figure
