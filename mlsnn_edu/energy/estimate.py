r"""Walk a network layer by layer and charge each layer's counts at a preset's energies.

:func:`estimate_energy` reads the layers of a network from its modules, in
forward order, and the activity recorded by :class:`mlsnn_edu.monitor.SpikeMonitor`.
Which layers are charged, and with which counts, is decided by
:class:`~mlsnn_edu.energy.layer_walk.LayerWalker` (the choices the model
leaves open are listed there); measuring the activity first is
:func:`~mlsnn_edu.energy.measure.measure_activity`.

Energy per row: operations :math:`(ACC + \text{mul\_adds})E_{add} + MAC(E_{add}+E_{mul})`,
addressing the same for the address arithmetic, and each memory access at
:math:`E_{ram}` of the memory it touches.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from mlsnn_edu.checks import check_choice, first_line
from mlsnn_edu.energy.counts import MULTILEVEL_COSTS, Counts
from mlsnn_edu.energy.layer_walk import LayerWalker
from mlsnn_edu.energy.presets import EnergyPreset, get_preset
from mlsnn_edu.monitor import SpikeMonitor, checked_module, record_activity
from mlsnn_edu.neurons import MultiLevelIF

ENERGY_KINDS = ("operations", "addressing", "weights", "potentials", "biases", "io")
"""The kinds of energy each row is split into (io: input and output buffers)."""


def energy_by_kind(counts: Counts, preset: EnergyPreset) -> dict[str, float]:
    """Energy in pJ of ``counts`` at ``preset``'s costs, split into :data:`ENERGY_KINDS`."""
    ram = preset.ram_access_pj
    return {
        "operations": (counts.acc + counts.mul_adds) * preset.add_pj + counts.mac * preset.mac_pj(),
        "addressing": counts.addr_acc * preset.add_pj + counts.addr_mac * preset.mac_pj(),
        "weights": counts.weight_reads * ram(counts.weight_memory),
        "potentials": (counts.potential_reads + counts.potential_writes)
        * ram(counts.potential_memory),
        "biases": counts.bias_reads * ram(counts.bias_memory),
        "io": counts.input_reads * ram(counts.input_memory)
        + counts.output_writes * ram(counts.output_memory),
    }


@dataclass(frozen=True)
class LayerEnergy:
    """One row of the estimate: a layer's counts and its energy (pJ per inference) by kind.

    ``steady`` is the part of ``total`` paid at every timestep whatever the spikes
    (neuron updates, the pixels of the first layer; all of an ANN's energy).
    """

    name: str
    kind: str
    counts: Counts
    energy: dict[str, float]
    steady: float = 0.0

    @property
    def total(self) -> float:
        return sum(self.energy.values())


@dataclass
class EnergyReport:
    """The per-layer estimate of one network and its total per inference.

    Attributes:
        model: the network's name; ``spiking``: False for the ANN estimate.
        timesteps, levels: T and N (1 and ``None`` for the ANN estimate).
        preset: the energies used; ``multilevel_cost``: how a spike of value k was charged.
        layers: the rows, in forward order.
    """

    model: str
    spiking: bool
    timesteps: int
    levels: int | None
    preset: EnergyPreset
    multilevel_cost: str
    layers: list[LayerEnergy] = field(default_factory=list)

    @property
    def total(self) -> float:
        """Energy per inference, in pJ."""
        return sum(row.total for row in self.layers)

    def by_kind(self) -> dict[str, float]:
        """Energy per inference in pJ, summed over layers, for each of :data:`ENERGY_KINDS`."""
        return {kind: sum(row.energy[kind] for row in self.layers) for kind in ENERGY_KINDS}

    def split(self) -> dict[str, float]:
        """Energy per inference in pJ: ``"every timestep"`` (whatever the spikes: grows with T)
        and ``"spikes"`` (the rest: grows with the spike units)."""
        steady = sum(row.steady for row in self.layers)
        return {"every timestep": steady, "spikes": self.total - steady}

    def counts(self) -> Counts:
        """The counts summed over every layer."""
        total = Counts()
        for row in self.layers:
            total = total + row.counts
        return total

    def label(self) -> str:
        if not self.spiking:
            return f"{self.model} (ANN)"
        return f"{self.model} [T={self.timesteps}, N={self.levels}]"

    def table(self, label: str | None = None) -> str:
        """The per-layer table as text, headed by the network's ``label`` (default
        :meth:`label`; a comparison passes one that also says where the weights come from),
        then the preset's numbers and source."""
        header = (
            f"{'layer':<24} {'kind':<7} {'ACC':>8} {'MAC':>8} {'addr':>8} {'weights':>8} "
            f"{'potent.':>8} {'bias':>8} {'io':>8} {'energy nJ':>10} {'share':>6}"
        )
        total = self.total or 1.0
        lines = [
            f"{label or self.label()}, multi-level spikes charged as {self.multilevel_cost!r}",
            self.preset.describe(),
            header,
            "-" * len(header),
        ]
        for row in [*self.layers, LayerEnergy("total", "", self.counts(), self.by_kind())]:
            c = row.counts
            lines.append(
                f"{row.name:<24} {row.kind:<7} {_short(c.acc + c.mul_adds)} {_short(c.mac)} "
                f"{_short(c.addr_acc + c.addr_mac)} {_short(c.weight_reads)} "
                f"{_short(c.potential_reads + c.potential_writes)} {_short(c.bias_reads)} "
                f"{_short(c.input_reads + c.output_writes)} {row.total / 1e3:>10.1f} "
                f"{100 * row.total / total:>5.1f}%"
            )
        kinds = ", ".join(f"{k} {v / 1e3:.1f}" for k, v in self.by_kind().items())
        lines.append(f"energy by kind (nJ): {kinds}")
        lines.append(f"total: {self.total / 1e6:.3f} uJ per inference")
        return "\n".join(lines)


def _short(value: float) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:>7.2f}{suffix}"
    return f"{value:>8.0f}"


def estimate_energy(
    model: nn.Module,
    activity: Any = None,
    *,
    preset: str | EnergyPreset = "horowitz45nm",
    multilevel_cost: str = "accumulate",
    input_spikes: bool = False,
    input_shape: Sequence[int] | None = None,
) -> EnergyReport:
    """Energy per inference of ``model``, layer by layer.

    Args:
        model: a network of :mod:`mlsnn_edu.models` (or any network built from the
            same layers: ``nn.Conv2d``, ``nn.Linear``, pooling, neurons and residual
            sums carrying ``activity_name``).
        activity: a :class:`~mlsnn_edu.monitor.SpikeMonitor` that watched ``model``
            run, or a mapping of its records (``synapses()`` by module path and
            ``summary()`` by layer name). ``None``: the ANN estimate, which needs
            only the layer shapes (give ``input_shape``, e.g. ``(3, 32, 32)``).
            An ANN model is always charged as an ANN.
        preset: a name from :data:`~mlsnn_edu.energy.presets.PRESET_NAMES` or an
            :class:`~mlsnn_edu.energy.presets.EnergyPreset`.
        multilevel_cost: ``"accumulate"``, ``"event_mac"`` or ``"linear_in_N"``: how a
            spike of value k is charged (:func:`~mlsnn_edu.energy.counts.spike_units`).
        input_spikes: the network's input is spikes (event frames), so its first
            layer is event-driven too.
        input_shape: ``(C, H, W)`` of one input, only when ``activity`` is ``None``.
    """
    checked_module(model)
    if not isinstance(input_spikes, bool):
        raise TypeError(f"input_spikes must be True or False, got {input_spikes!r:.40}")
    preset = get_preset(preset)
    check_choice(multilevel_cost, MULTILEVEL_COSTS, "multilevel_cost")
    neurons = [m for m in model.modules() if isinstance(m, MultiLevelIF)]
    spiking = bool(neurons) and activity is not None
    if activity is None:
        activity = _shape_pass(model, input_shape)
    synapses, summary = _split_records(model, activity)
    walker = LayerWalker(model, synapses, summary, multilevel_cost, input_spikes, neurons)
    rows = walker.spiking_rows() if spiking else walker.ann_rows()
    report = EnergyReport(
        model=str(getattr(model, "name", type(model).__name__)),
        spiking=spiking,
        timesteps=walker.timesteps if spiking else 1,
        levels=walker.levels if spiking else None,
        preset=preset,
        multilevel_cost=multilevel_cost,
    )
    report.layers = [
        LayerEnergy(
            row.name,
            row.kind,
            row.counts,
            energy_by_kind(row.counts, preset),
            sum(energy_by_kind(row.steady, preset).values()),
        )
        for row in rows
    ]
    return report


def _shape_pass(model: nn.Module, input_shape: Sequence[int] | None) -> SpikeMonitor:
    """Run ``model`` once on zeros under a monitor, in eval mode, for the layer shapes only."""
    wanted = "input_shape (C, H, W of one input, e.g. (3, 32, 32))"
    if input_shape is None:
        raise ValueError(f"{wanted} is required when activity is None")
    try:
        if isinstance(input_shape, (str, bytes)) or any(isinstance(n, bool) for n in input_shape):
            raise TypeError
        shape = tuple(operator.index(n) for n in input_shape)
    except TypeError:
        raise ValueError(f"{wanted} must be three integers, got {input_shape!r}") from None
    if len(shape) != 3:
        raise ValueError(f"{wanted} must be three integers, got {input_shape!r}")
    if min(shape) < 1:
        raise ValueError(f"{wanted} must be three integers >= 1, got {input_shape!r}")
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        return record_activity(model, torch.zeros(1, *shape, device=device))
    except RuntimeError as error:  # a channel count or a size the network cannot take
        if "out of memory" in str(error):
            raise
        raise ValueError(
            f"input_shape {shape} does not fit this network: {first_line(error)}"
        ) from None
    finally:
        model.train(was_training)


def _split_records(model: nn.Module, activity: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(synapse records by module path, neuron and sum records by layer name)``."""
    if isinstance(activity, SpikeMonitor):
        if model is not activity.model and model is not activity.inner:
            watched = getattr(activity.inner, "name", type(activity.inner).__name__)
            raise ValueError(
                f"activity was recorded on another network ({watched!r}, another object than "
                f"the {getattr(model, 'name', type(model).__name__)!r} given): record the "
                "activity of this model, e.g. with record_activity(model, inputs)"
            )
        return dict(activity.synapses()), dict(activity.summary())
    if isinstance(activity, Mapping):
        strangers = [k for k, r in activity.items() if not hasattr(r, "kind")]
        if strangers:
            raise ValueError(
                f"activity must map layer names to a SpikeMonitor's records, but "
                f"{strangers[0]!r} holds {type(activity[strangers[0]]).__name__}"
            )
        synapses = {k: r for k, r in activity.items() if r.kind in ("conv", "linear")}
        summary = {k: r for k, r in activity.items() if r.kind not in ("conv", "linear")}
        return synapses, summary
    raise ValueError(
        "activity must be a SpikeMonitor that watched the model run, a mapping of its "
        f"records, or None for the ANN estimate; got {type(activity).__name__}"
    )


def comparison_table(reports: Mapping[str, EnergyReport], reference: str | None = None) -> str:
    """One line per network: energy per inference (uJ), by kind, and the ratio to ``reference``.

    ``reference`` names one of ``reports`` (the first one by default); its line reads 1.00x.
    """
    if not reports:
        raise ValueError("reports must hold at least one EnergyReport")
    reference = next(iter(reports)) if reference is None else reference
    if reference not in reports:
        raise ValueError(
            f"reference must be one of {', '.join(map(repr, reports))}, got {reference!r}"
        )
    base = reports[reference].total
    width = max(len(name) for name in reports) + 2
    header = f"{'network':<{width}} {'uJ':>9} {'vs ' + reference:>14}  " + " ".join(
        f"{kind:>10}" for kind in ENERGY_KINDS
    )
    lines = [header, "-" * len(header)]
    for name, report in reports.items():
        kinds = " ".join(f"{value / 1e6:>10.2f}" for value in report.by_kind().values())
        ratio = base / report.total if report.total else math.inf
        lines.append(f"{name:<{width}} {report.total / 1e6:>9.2f} {ratio:>13.2f}x  {kinds}")
    lines.append(f"(ratio = energy of {reference} / energy of the network; energies by kind in uJ)")
    return "\n".join(lines)
